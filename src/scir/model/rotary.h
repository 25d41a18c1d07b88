// Rotary position embeddings in the Hugging Face Llama convention: frequencies
// theta^(-2i/d) for i < d/2, duplicated over both halves, and rotate_half(x) = [-x2, x1].
#pragma once

#include <torch/torch.h>

#include "scir/model/model_config.h"

namespace scir {

struct RotaryTables {
  torch::Tensor cos;  // [B, T, head_dim], float32
  torch::Tensor sin;
};

// The head_dim / 2 inverse frequencies, float32 on `device`, as transformers computes them
// (its default and llama3 rope types).
torch::Tensor rope_inverse_frequencies(int64_t head_dim, const RopeSettings& rope,
                                       const torch::Device& device = torch::kCPU);
RotaryTables rotary_tables(const torch::Tensor& positions, int64_t head_dim,
                           const RopeSettings& rope);
// x: [B, heads, T, head_dim]; computed in at least float32, returned in x's dtype. For float32
// on the CPU one pass forward and one backward (a custom autograd function).
torch::Tensor apply_rotary(const torch::Tensor& x, const RotaryTables& tables);
// The operator-by-operator formula (the reference the one-pass version is tested against).
torch::Tensor apply_rotary_reference(const torch::Tensor& x, const RotaryTables& tables);

}  // namespace scir
