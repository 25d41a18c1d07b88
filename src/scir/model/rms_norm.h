// RMSNorm as one pass over memory forward and one backward, for float32 tensors on the CPU; any
// other dtype or device takes the operator-by-operator formula. perf on an SFT step at the
// demo's size put a quarter of the time in LibTorch's elementwise operators and their autograd
// nodes; RMSNorm alone is six operators forward and more backward, each a pass over
// [tokens, hidden] plus dispatch. (The same treatment of silu(gate) * up was slower: a scalar
// exp loses to LibTorch's vectorised one.)
#pragma once

#include <torch/torch.h>

namespace scir {

// weight * x / sqrt(mean(x^2 over the last dim) + eps); statistics in at least float32.
torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps);

// The operator-by-operator formula (the reference the fused pass is tested against).
torch::Tensor rms_norm_reference(const torch::Tensor& x, const torch::Tensor& weight, double eps);

}  // namespace scir
