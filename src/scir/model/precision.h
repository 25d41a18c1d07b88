// The dtype for numerically sensitive steps (norm statistics, softmax, RoPE, log-probs):
// at least float32, float64 when the model runs in float64 (as the gradient checks do).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace scir {

inline torch::ScalarType compute_dtype(torch::ScalarType run_dtype) {
  return torch::promote_types(run_dtype, torch::kFloat);
}

}  // namespace scir

namespace scir {

// The values of a tensor (any dtype or device, detached) as doubles, in order.
inline std::vector<double> to_doubles(const torch::Tensor& tensor) {
  const torch::Tensor values = tensor.detach().to(torch::kCPU, torch::kDouble).contiguous();
  return std::vector<double>(values.data_ptr<double>(), values.data_ptr<double>() + values.numel());
}

// A 1-D float64 tensor of the values.
inline torch::Tensor from_doubles(const std::vector<double>& values) {
  return torch::tensor(values, torch::kDouble);
}

// The dtypes by name ("float32", "bfloat16", "float16"): a model's, and those it trains in (the
// lower two through float32 master weights, float16 with loss scaling).
const std::vector<std::pair<std::string, torch::ScalarType>>& dtype_names();

}  // namespace scir
