// Keys and values of past positions, one pair of [B, kv_heads, capacity, head_dim] tensors a
// layer, filled left to right as decoding proceeds.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace scir {

struct KvCache {
  std::vector<torch::Tensor> keys;
  std::vector<torch::Tensor> values;
  int64_t length = 0;    // positions filled
  int64_t capacity = 0;  // positions allocated
};

}  // namespace scir
