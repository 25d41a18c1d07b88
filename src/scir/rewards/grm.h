// The generative reward model: the policy prompted as a judge (METHOD.md section 3).
// Pairwise: the judge prompt J(x, a, b) ends where the verdict token comes; p_AB is the
// probability of "A" renormalised over {"A", "B"}, and both orders remove position bias:
//     P_G(y1 > y2) = 1/2 [ p_AB(x, y1, y2) + 1 - p_AB(x, y2, y1) ]
#pragma once

#include <string>
#include <vector>

#include "scir/data/judge_template.h"
#include "scir/model/transformer.h"
#include "scir/tokenizer/chat_template.h"
#include "scir/tokenizer/tokenizer.h"

namespace scir {

struct PairwiseJudge {
  const Tokenizer& tokenizer;
  ChatTemplate chat_template;
  const JudgeTemplate& judge_template;
  int64_t token_a;  // id of the verdict "A"
  int64_t token_b;

  // A judge whose verdicts are the tokens "A" and "B".
  static PairwiseJudge with_ab_verdicts(const Tokenizer& tokenizer, ChatTemplate chat_template,
                                        const JudgeTemplate& judge_template);

  // The prompt ids of J(instruction, a, b): BOS + chat template around the rendered judge text.
  std::vector<int64_t> prompt(const std::string& instruction, const std::string& a,
                              const std::string& b) const;
};

struct JudgedPair {
  std::string instruction, first, second;
};

// logit(p_AB) = l_A - l_B for each J(x, first, second), [B]; differentiable.
torch::Tensor verdict_logits(Transformer& model, const PairwiseJudge& judge,
                             const std::vector<JudgedPair>& pairs, bool swapped);

// P_G(first > second) from the verdict logits of both orders (METHOD.md section 3).
torch::Tensor debiased_preference(const torch::Tensor& logit_forward,
                                  const torch::Tensor& logit_swapped);

// P_G for each pair, no gradient, in batches of batch_size pairs (2 prompts a pair).
torch::Tensor judge_pairs(Transformer& model, const PairwiseJudge& judge,
                          const std::vector<JudgedPair>& pairs, int64_t batch_size);

}  // namespace scir
