// The dtype for numerically sensitive steps (norm statistics, softmax, RoPE, log-probs):
// at least float32, float64 when the model runs in float64 (as the gradient checks do).
#pragma once

#include <torch/torch.h>

#include <string>

namespace scir {

inline torch::ScalarType compute_dtype(torch::ScalarType run_dtype) {
  return torch::promote_types(run_dtype, torch::kFloat);
}

}  // namespace scir

namespace scir {

// "float32", "bfloat16" or "float16"; anything else is an InputError naming `option`.
torch::ScalarType dtype_from_name(const std::string& name, const std::string& option);

}  // namespace scir
