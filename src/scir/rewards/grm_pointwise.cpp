#include "scir/rewards/grm_pointwise.h"

#include <cmath>

#include "scir/model/next_token.h"

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
                       torch::kLong));
  const torch::Tensor weights = torch::arange(6, digits.options());
  return (torch::softmax(digits, -1) * weights).sum(-1);
}

BernoulliLogs pointwise_bernoulli(const torch::Tensor& score1, const torch::Tensor& score2,
                                  double tau) {
  return irm_bernoulli((score1 - score2) / tau);  // the same Bernoulli of a logit difference
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
