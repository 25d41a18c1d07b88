#include "scir/rewards/grm_pointwise.h"

#include <cmath>

#include "scir/model/next_token.h"
#include "scir/model/precision.h"

namespace scir {

std::array<int64_t, 6> PointwiseJudge::digit_tokens(const Tokenizer& tokenizer) {
  std::array<int64_t, 6> ids{};
  for (int k = 0; k < 6; ++k) ids[k] = tokenizer.single_token_id(std::to_string(k));
  return ids;
}

torch::Tensor expected_scores(Transformer& model, const PointwiseJudge& judge,
                              const std::vector<std::string>& instructions,
                              const std::vector<std::string>& responses) {
  std::vector<std::vector<int64_t>> prompts;
  for (size_t i = 0; i < instructions.size(); ++i) {
    prompts.push_back(
        prompt_ids(judge.tokenizer, judge.chat_template,
                   judge.judge_template.render_pointwise(instructions[i], responses[i])));
  }
  const torch::Tensor logits = next_token_logits(model, prompts, judge.tokenizer.pad_id());
  const torch::Tensor digits = logits.index_select(
      1, torch::tensor(std::vector<int64_t>(judge.score_tokens.begin(), judge.score_tokens.end()),
                       torch::kLong)
             .to(logits.device()));
  const torch::Tensor weights = torch::arange(6, digits.options());
  return (torch::softmax(digits, -1) * weights).sum(-1);
}

BernoulliLogs pointwise_bernoulli(const torch::Tensor& score1, const torch::Tensor& score2,
                                  double tau) {
  return irm_bernoulli((score1 - score2) / tau);  // the same Bernoulli of a logit difference
}

std::vector<double> pointwise_pair_preferences(Transformer& model, const PointwiseJudge& judge,
                                               const std::vector<JudgedPair>& pairs,
                                               int64_t batch_size) {
  torch::NoGradGuard no_grad;
  std::vector<double> preferences;
  for (size_t start = 0; start < pairs.size(); start += batch_size) {
    const size_t end = std::min(pairs.size(), start + static_cast<size_t>(batch_size));
    std::vector<std::string> instructions, responses;
    for (size_t i = start; i < end; ++i) {
      instructions.push_back(pairs[i].instruction);
      responses.push_back(pairs[i].first);
    }
    for (size_t i = start; i < end; ++i) {
      instructions.push_back(pairs[i].instruction);
      responses.push_back(pairs[i].second);
    }
    const torch::Tensor scores = expected_scores(model, judge, instructions, responses);
    const int64_t count = static_cast<int64_t>(end - start);
    const std::vector<double> p = to_doubles(
        pointwise_bernoulli(scores.narrow(0, 0, count), scores.narrow(0, count, count), judge.tau)
            .log_p.exp());
    preferences.insert(preferences.end(), p.begin(), p.end());
  }
  return preferences;
}

std::vector<double> grm_preferences(Transformer& model, const PairwiseJudge& pairwise,
                                    const PointwiseJudge* pointwise,
                                    const std::vector<JudgedPair>& pairs, int64_t batch_size) {
  if (pointwise) return pointwise_pair_preferences(model, *pointwise, pairs, batch_size);
  return to_doubles(judge_pairs(model, pairwise, pairs, batch_size));
}

std::pair<int, int> best_vs_worst(const std::vector<double>& scores) {
  int best = -1, worst = -1;
  for (int i = 0; i < static_cast<int>(scores.size()); ++i) {
    if (std::isnan(scores[i])) continue;  // unscored: takes no part
    if (best < 0 || scores[i] > scores[best]) best = i;
    if (worst < 0 || scores[i] < scores[worst]) worst = i;
  }
  if (best < 0 || scores[best] == scores[worst]) return {-1, -1};
  return {best, worst};
}

}  // namespace scir
