// One decoding step (a single new token a row, keys and values of the past in a KvCache) for a
// float32 model on the CPU, written as loops over contiguous rows around four matrix products a
// layer (q/k/v and gate/up each as one product over stacked weights). At the demo's size
// (hidden 128, batch 16) the operator-by-operator path spent more of a step in LibTorch's
// dispatch and small temporaries than in arithmetic; this path does the same arithmetic
// without them. Prompts (many tokens a row) still go through Transformer::hidden.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "scir/model/kv_cache.h"
#include "scir/model/transformer.h"

namespace scir {

class CpuDecoder {
 public:
  // A float32 model on the CPU, not cut for tensor parallelism.
  static bool supports(const Transformer& model);

  // Stacks the projection weights and tabulates the rotary angles of positions [0, capacity).
  // The model's weights must not change while the decoder is used.
  CpuDecoder(const Transformer& model, int64_t capacity);

  // Logits [B, vocab] of the next token after `tokens` (one a row), whose attention mask row is
  // attention_mask [B, cache.length + 1] (host, 1: real token), exactly as
  // model.logits(model.hidden(tokens, attention_mask, &cache)) computes them, up to rounding.
  // Appends the tokens' keys and values to the cache.
  torch::Tensor step(const std::vector<int64_t>& tokens, const torch::Tensor& attention_mask,
                     KvCache& cache);

 private:
  struct Layer {
    torch::Tensor input_norm, post_norm;  // [hidden]
    torch::Tensor qkv;                    // [(heads + 2 kv_heads) head_dim, hidden]
    torch::Tensor output;                 // [hidden, heads head_dim]
    torch::Tensor gate_up;                // [2 intermediate, hidden]
    torch::Tensor down;                   // [hidden, intermediate]
  };

  ModelConfig config_;
  torch::Tensor embedding_, final_norm_, head_;  // head: [vocab, hidden]
  std::vector<Layer> layers_;
  torch::Tensor cos_, sin_;  // [capacity, head_dim]
};

}  // namespace scir
