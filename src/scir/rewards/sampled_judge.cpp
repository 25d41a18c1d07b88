#include "scir/rewards/sampled_judge.h"

#include <cmath>
#include <limits>

#include "scir/core/errors.h"

namespace scir {

std::string score_pattern_problem(const std::string& pattern) {
  try {
    if (std::regex(pattern, std::regex::ECMAScript).mark_count() < 1)
      return "a group around the score";
  } catch (const std::regex_error& error) {
    return cat("a regular expression (", error.what(), ")");
  }
  return "";
}

std::regex compile_score_pattern(const std::string& pattern) {
  const std::string problem = score_pattern_problem(pattern);
  if (!problem.empty())
    throw InternalError(cat("score pattern '", pattern, "': expected ", problem));
  return std::regex(pattern, std::regex::ECMAScript);
}

bool parse_judgement_score(const std::string& judgement, const std::regex& pattern, double* score) {
  std::smatch match;
  if (!std::regex_search(judgement, match, pattern)) return false;
  const std::string text = match[1].str();
  try {
    size_t used = 0;
    const double value = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(value)) return false;
    *score = value;
    return true;
  } catch (const std::exception&) {  // stod: not a number, or out of range
    return false;
  }
}

SampledScores sampled_judge_scores(Transformer& model, const Tokenizer& tokenizer,
                                   ChatTemplate chat_template, const JudgeTemplate& judge_template,
                                   const std::vector<std::string>& instructions,
                                   const std::vector<std::string>& responses,
                                   const std::vector<uint64_t>& stream_ids,
                                   const SampledJudgeSettings& settings) {
  const std::regex pattern = compile_score_pattern(settings.score_pattern);
  std::vector<GenerationRequest> requests;
  for (size_t i = 0; i < responses.size(); ++i) {
    const std::vector<int64_t> prompt = prompt_ids(
        tokenizer, chat_template, judge_template.render_pointwise(instructions[i], responses[i]));
    for (int k = 0; k < settings.judgements; ++k)
      requests.push_back({prompt, stream_ids[i], static_cast<uint64_t>(k)});
  }
  SampledScores result;
  std::vector<double> sum(responses.size(), 0.0), parsed(responses.size(), 0.0);
  for (size_t start = 0; start < requests.size(); start += settings.batch_size) {
    const size_t end = std::min(requests.size(), start + static_cast<size_t>(settings.batch_size));
    const std::vector<GenerationRequest> batch(requests.begin() + start, requests.begin() + end);
    const auto judgements =
        generate(model, batch, settings.sampling, tokenizer.stop_ids(), tokenizer.pad_id());
    for (size_t j = 0; j < judgements.size(); ++j) {
      const size_t response = (start + j) / settings.judgements;
      double score = 0;
      ++result.judgements;
      if (parse_judgement_score(tokenizer.decode(judgements[j]), pattern, &score)) {
        sum[response] += score;
        parsed[response] += 1;
      } else {
        ++result.parse_failures;
      }
    }
  }
  for (size_t i = 0; i < responses.size(); ++i) {
    result.scores.push_back(parsed[i] > 0 ? sum[i] / parsed[i]
                                          : std::numeric_limits<double>::quiet_NaN());
  }
  return result;
}

}  // namespace scir
