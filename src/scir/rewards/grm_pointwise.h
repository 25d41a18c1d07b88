// The pointwise generative reward model (METHOD.md section 3, `grm = pointwise`): a score
// prompt S(x, y) ends where the score token comes; the expected score over "0".."5" is
//     s(x, y) = sum_k k softmax(logits over "0".."5")_k
// and P_G(y1 > y2) = sigmoid((s(x, y1) - s(x, y2)) / tau). SRLM's offline labelling reads the
// same scores without gradient and pairs the best response of a prompt with the worst.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "scir/data/judge_template.h"
#include "scir/model/transformer.h"
#include "scir/rewards/consistency.h"
#include "scir/rewards/grm.h"
#include "scir/tokenizer/chat_template.h"
#include "scir/tokenizer/tokenizer.h"

namespace scir {

struct PointwiseJudge {
  const Tokenizer& tokenizer;
  ChatTemplate chat_template;
  const JudgeTemplate& judge_template;  // pointwise: {instruction}, {response}
  std::array<int64_t, 6> score_tokens;  // ids of "0".."5"
  double tau = 1.0;

  // The ids of "0".."5" in this tokenizer (each must be one token).
  static std::array<int64_t, 6> digit_tokens(const Tokenizer& tokenizer);
};

// A pointwise judge together with the template file it reads (the judge refers to it).
class LoadedPointwiseJudge {
 public:
  LoadedPointwiseJudge(const Tokenizer& tokenizer, ChatTemplate chat_template,
                       const std::string& template_path, double tau)
      : text_(JudgeTemplate::from_file(template_path, JudgeKind::kPointwise)),
        judge_{tokenizer, chat_template, text_, PointwiseJudge::digit_tokens(tokenizer), tau} {}
  LoadedPointwiseJudge(const LoadedPointwiseJudge&) = delete;
  LoadedPointwiseJudge& operator=(const LoadedPointwiseJudge&) = delete;
  const PointwiseJudge& judge() const { return judge_; }
  const JudgeTemplate& text() const { return text_; }

 private:
  JudgeTemplate text_;
  PointwiseJudge judge_;
};

// s(x, y) for each (instruction, response), [B]; differentiable.
torch::Tensor expected_scores(Transformer& model, const PointwiseJudge& judge,
                              const std::vector<std::string>& instructions,
                              const std::vector<std::string>& responses);

// log P_G and log(1 - P_G) from the two responses' expected scores.
BernoulliLogs pointwise_bernoulli(const torch::Tensor& score1, const torch::Tensor& score2,
                                  double tau);

// P_G(first > second) for each pair from the two responses' expected scores, no gradient, in
// batches of batch_size pairs (2 prompts a pair).
std::vector<double> pointwise_pair_preferences(Transformer& model, const PointwiseJudge& judge,
                                               const std::vector<JudgedPair>& pairs,
                                               int64_t batch_size);

// P_G of each pair from the GRM in use: the pointwise judge when given, else the pairwise one.
std::vector<double> grm_preferences(Transformer& model, const PairwiseJudge& pairwise,
                                    const PointwiseJudge* pointwise,
                                    const std::vector<JudgedPair>& pairs, int64_t batch_size);

// SRLM's rule over one prompt's N scored responses: (best, worst) indices, or {-1, -1} when the
// best and worst scores tie (no signal). The first index wins among equal scores; NaN scores
// (a response the sampled judge could not score) take no part.
std::pair<int, int> best_vs_worst(const std::vector<double>& scores);

}  // namespace scir
