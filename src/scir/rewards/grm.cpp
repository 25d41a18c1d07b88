#include "scir/rewards/grm.h"

#include "scir/model/next_token.h"

namespace scir {

PairwiseJudge PairwiseJudge::with_ab_verdicts(const Tokenizer& tokenizer,
                                              ChatTemplate chat_template,
                                              const JudgeTemplate& judge_template) {
  return {tokenizer, chat_template, judge_template, tokenizer.single_token_id("A"),
          tokenizer.single_token_id("B")};
}

std::vector<int64_t> PairwiseJudge::prompt(const std::string& instruction, const std::string& a,
                                           const std::string& b) const {
  return prompt_ids(tokenizer, chat_template, judge_template.render_pairwise(instruction, a, b));
}

torch::Tensor verdict_logits(Transformer& model, const PairwiseJudge& judge,
                             const std::vector<JudgedPair>& pairs, bool swapped) {
  std::vector<std::vector<int64_t>> prompts;
  for (const JudgedPair& pair : pairs) {
    prompts.push_back(swapped ? judge.prompt(pair.instruction, pair.second, pair.first)
                              : judge.prompt(pair.instruction, pair.first, pair.second));
  }
  const torch::Tensor logits = next_token_logits(model, prompts, judge.tokenizer.pad_id());
  return logits.select(1, judge.token_a) - logits.select(1, judge.token_b);
}

torch::Tensor debiased_preference(const torch::Tensor& logit_forward,
                                  const torch::Tensor& logit_swapped) {
  return 0.5 * (torch::sigmoid(logit_forward) + 1.0 - torch::sigmoid(logit_swapped));
}

torch::Tensor judge_pairs(Transformer& model, const PairwiseJudge& judge,
                          const std::vector<JudgedPair>& pairs, int64_t batch_size) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (size_t start = 0; start < pairs.size(); start += batch_size) {
    const std::vector<JudgedPair> batch(pairs.begin() + start,
                                        pairs.begin() + std::min(pairs.size(), start + batch_size));
    parts.push_back(debiased_preference(verdict_logits(model, judge, batch, false),
                                        verdict_logits(model, judge, batch, true))
                        .to(torch::kDouble));
  }
  return parts.empty() ? torch::zeros({0}, torch::kDouble) : torch::cat(parts);
}

}  // namespace scir
