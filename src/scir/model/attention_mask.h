// The additive attention bias for queries at cache indices [past, past + T) over keys
// [0, past + T): 0 where a query may look, -inf elsewhere. A query sees a key when the key is a
// real token (attention_mask 1), not in its future, and (with a sliding window) less than
// `window` positions back. Every query also sees itself, so padded rows never become all -inf.
#pragma once

#include <torch/torch.h>

namespace scir {

// attention_mask: [B, past + T] of 0/1. Returns [B, 1, T, past + T] in `dtype`.
torch::Tensor attention_bias(const torch::Tensor& attention_mask, int64_t past, int64_t window,
                             torch::ScalarType dtype);

// The bias of one query at cache index `query` ([1] int64 on the mask's device) over every key
// [0, K) of attention_mask [B, K]: [B, 1, 1, K]. For a decoding step whose shapes never change
// (one a CUDA graph can replay): the index is a tensor, not a host number.
torch::Tensor attention_bias_at(const torch::Tensor& attention_mask, const torch::Tensor& query,
                                int64_t window, torch::ScalarType dtype);

// Positions for RoPE from the mask: the count of real tokens before each index (left padding
// then gives every sequence positions 0, 1, 2, ... from its first real token).
torch::Tensor positions_from_mask(const torch::Tensor& attention_mask);

}  // namespace scir
