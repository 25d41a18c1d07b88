// Attention as one pass a query row, for float32 tensors on the CPU: scores, masked softmax and
// the weighted values forward, and the four products of the backward, over only the keys a row
// can see (the causal half, less left padding and what a sliding window hides). The
// operator-by-operator path (two batched matrix products, scale, mask, softmax) spent more time
// than its FLOPs warrant with narrow heads: at the demo's 16 heads of 8, products 8 deep and
// [B, heads, T, K] elementwise passes cost the training step 0.61 MFU against 0.75 for 4 heads
// of 32 with the same counted FLOPs (README, Performance). The loops run at the best vector level
// of the CPU (model/vector_levels).
#pragma once

#include <torch/torch.h>

namespace scir {

// q: [B, heads, T, head_dim]; k, v: [B, kv_heads, K, head_dim] with query head h reading key
// head h / (heads / kv_heads); bias: [B, 1, T, K], additive, 0 where a key is visible and -inf
// where it is not (model/attention_mask). Returns the context as [B, T, heads * head_dim].
torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const torch::Tensor& bias);

// Whether attention() takes the one-pass kernel for these inputs (float32 on the CPU, a bias
// that needs no gradient, a head width that is a multiple of 8); otherwise it runs
// attention_reference.
bool one_pass_attention_applies(const torch::Tensor& q, const torch::Tensor& k,
                                const torch::Tensor& v, const torch::Tensor& bias);

// The operator formula: softmax(q k^T / sqrt(head_dim) + bias) v, grouped-query attention
// without copying keys (the query heads sharing a key head stacked along the query axis).
torch::Tensor attention_reference(const torch::Tensor& q, const torch::Tensor& k,
                                  const torch::Tensor& v, const torch::Tensor& bias);

}  // namespace scir
