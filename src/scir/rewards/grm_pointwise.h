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

// s(x, y) for each (instruction, response), [B]; differentiable.
torch::Tensor expected_scores(Transformer& model, const PointwiseJudge& judge,
                              const std::vector<std::string>& instructions,
                              const std::vector<std::string>& responses);

// log P_G and log(1 - P_G) from the two responses' expected scores.
BernoulliLogs pointwise_bernoulli(const torch::Tensor& score1, const torch::Tensor& score2,
                                  double tau);

// SRLM's rule over one prompt's N scored responses: (best, worst) indices, or {-1, -1} when the
// best and worst scores tie (no signal). The first index wins among equal scores; NaN scores
// (a response the sampled judge could not score) take no part.
std::pair<int, int> best_vs_worst(const std::vector<double>& scores);

}  // namespace scir
