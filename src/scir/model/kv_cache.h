// Keys and values of past positions, one pair of [B, kv_heads, capacity, head_dim] tensors a
// layer, filled left to right as decoding proceeds.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "scir/model/model_config.h"

namespace scir {

struct KvCache {
  std::vector<torch::Tensor> keys;
  std::vector<torch::Tensor> values;
  int64_t length = 0;    // positions filled
  int64_t capacity = 0;  // positions allocated
  // Defined ([1] int64 on the cache's device): a step of one token a row writes at this index
  // and attends over the whole capacity under a mask of the whole capacity, and the index moves
  // on on the device. A step's shapes and addresses then never change, so a CUDA graph can
  // replay it. Undefined: the step writes at `length` and attends over the filled positions.
  torch::Tensor write_index;
};

// Bytes of the cache of `batch` sequences of `capacity` positions for a model cut over
// `tensor_parallel` ranks (each holds its key/value heads), `value_bytes` a value.
inline double kv_cache_bytes(const ModelConfig& model, int64_t tensor_parallel, int64_t batch,
                             int64_t capacity, double value_bytes) {
  return 2.0 * model.num_hidden_layers *
         (static_cast<double>(model.num_key_value_heads) / tensor_parallel) * model.head_dim *
         static_cast<double>(batch) * static_cast<double>(capacity) * value_bytes;
}

}  // namespace scir
