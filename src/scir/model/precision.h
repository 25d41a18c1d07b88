// The dtype for numerically sensitive steps (norm statistics, softmax, RoPE, log-probs):
// at least float32, float64 when the model runs in float64 (as the gradient checks do).
#pragma once

#include <torch/torch.h>

namespace scir {

inline torch::ScalarType compute_dtype(torch::ScalarType run_dtype) {
  return torch::promote_types(run_dtype, torch::kFloat);
}

}  // namespace scir
