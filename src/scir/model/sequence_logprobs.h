// log pi(y | x) of responses given prompts, over response tokens only, for a batch of pairs of
// different lengths in one forward. Differentiable when gradients are on.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "scir/model/transformer.h"

namespace scir {

struct PromptResponse {
  std::vector<int64_t> prompt;    // at least one token (BOS)
  std::vector<int64_t> response;  // may be empty
};

struct ResponseLogProbs {
  torch::Tensor
      sum;  // [B], float32 (float64 for a float64 model): sum of the response's token log-probs
  torch::Tensor token_logps;     // [B, R_max], zero past each response's end
  std::vector<int64_t> lengths;  // response lengths
};

ResponseLogProbs response_logprobs(Transformer& model, const std::vector<PromptResponse>& batch,
                                   int64_t pad_id);

// log pi(response | prompt) of both sides of each pair (first[i], second[i]), no gradient, in
// forwards of 2 x batch_pairs sequences; as float64.
std::pair<std::vector<double>, std::vector<double>> paired_response_logprobs(
    Transformer& model, const std::vector<PromptResponse>& first,
    const std::vector<PromptResponse>& second, int64_t pad_id, int64_t batch_pairs);

}  // namespace scir
