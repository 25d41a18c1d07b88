// The Llama/Mistral/Qwen decoder: token embedding, layers of (RMSNorm, grouped-query attention
// with rotary embeddings, RMSNorm, SwiGLU MLP) with residuals, a final RMSNorm and the LM head
// (optionally tied to the embedding); Qwen2 adds biases to q/k/v, Qwen3 an RMSNorm of each query
// and key head. Parameter names are the Hugging Face checkpoint names.
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>

#include "scir/dist/comm.h"
#include "scir/dist/gradient_norm.h"
#include "scir/model/kv_cache.h"
#include "scir/model/lora_projection.h"
#include "scir/model/model_config.h"
#include "scir/model/rotary.h"

namespace scir {

class RmsNorm : public torch::nn::Module {
 public:
  RmsNorm(int64_t size, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;
  double eps() const { return eps_; }

 private:
  double eps_;
};

class Attention : public torch::nn::Module {
 public:
  explicit Attention(const ModelConfig& config);
  // x: [B, T, hidden]; bias: [B, 1, T, K]. With a cache, keys/values are written at
  // [cache.length, cache.length + T) of layer `layer` and attention runs over all K filled ones.
  torch::Tensor forward(const torch::Tensor& input, const RotaryTables& rotary,
                        const torch::Tensor& bias, KvCache* cache, int64_t layer);
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  // Qwen3: RMSNorm over each query and key head (head_dim weights shared by the heads).
  std::shared_ptr<RmsNorm> q_norm, k_norm;
  // The LoRA adapters of q_proj, k_proj, v_proj and o_proj (model/lora_adapter), if any.
  LoraProjections lora;
  // After the parameters were cut for tensor parallelism: this rank's heads, and the group.
  void use_tensor_parallel(Comm& group);

 private:
  // A head norm's weight: under tensor parallelism every rank holds it whole but applies it to
  // its own heads only, so its gradient is summed over the group.
  torch::Tensor head_norm(const std::shared_ptr<RmsNorm>& norm, const torch::Tensor& heads);
  int64_t heads_, kv_heads_, head_dim_;
  Comm* tp_ = nullptr;
};

class SwiGluMlp : public torch::nn::Module {
 public:
  explicit SwiGluMlp(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& input);
  torch::nn::Linear gate_proj{nullptr}, up_proj{nullptr}, down_proj{nullptr};
  LoraProjections lora;  // of gate_proj, up_proj and down_proj, if any
  void use_tensor_parallel(Comm& group) { tp_ = &group; }

 private:
  Comm* tp_ = nullptr;
};

class DecoderLayer : public torch::nn::Module {
 public:
  explicit DecoderLayer(const ModelConfig& config);
  torch::Tensor forward(const torch::Tensor& x, const RotaryTables& rotary,
                        const torch::Tensor& bias, KvCache* cache, int64_t layer);
  std::shared_ptr<RmsNorm> input_layernorm, post_attention_layernorm;
  std::shared_ptr<Attention> self_attn;
  std::shared_ptr<SwiGluMlp> mlp;
};

// "model." in the checkpoint names.
class DecoderStack : public torch::nn::Module {
 public:
  explicit DecoderStack(const ModelConfig& config);
  torch::nn::Embedding embed_tokens{nullptr};
  torch::nn::ModuleList layers;
  std::shared_ptr<RmsNorm> norm;
};

class Transformer : public torch::nn::Module {
 public:
  // Parameters are created in float32 and moved to `dtype`; call init_weights or load weights.
  Transformer(const ModelConfig& config, torch::ScalarType dtype = torch::kFloat);

  // Final-normed hidden states [B, T, hidden] for input_ids [B, T]. attention_mask is
  // [B, past + T] (1: real token, 0: padding), past = cache ? cache->length : 0. With a cache,
  // the new keys and values are appended and cache->length advances by T. With a cache's
  // write_index (T = 1, attention_mask [B, capacity]), they are written there, every position
  // is attended under the mask, and the index advances too.
  torch::Tensor hidden(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                       KvCache* cache = nullptr);
  // LM head over hidden states [..., hidden] -> [..., vocab].
  torch::Tensor logits(const torch::Tensor& hidden_states);
  // log p(target) for hidden states [n, hidden] and target ids [n], in the compute dtype. Under
  // tensor parallelism the softmax runs over the vocabulary slices where they lie (a maximum
  // and a sum over the group), so no rank holds the whole [n, vocab] logits.
  torch::Tensor target_logprobs(const torch::Tensor& hidden_states, const torch::Tensor& targets);
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& attention_mask,
                        KvCache* cache = nullptr) {
    return logits(hidden(input_ids, attention_mask, cache));
  }

  // A cache for `capacity` positions; more than max_position_embeddings is an InputError, as is
  // a forward over a longer sequence: the model was not trained on such positions.
  KvCache new_cache(int64_t batch, int64_t capacity) const;
  // Bytes new_cache(batch, capacity) allocates on this rank.
  double cache_bytes(int64_t batch, int64_t capacity) const;
  void check_sequence_length(int64_t positions) const;
  // Normal(0, 0.02) for matrices and embeddings, ones for norms (as transformers initialises),
  // from a generator seeded with `seed`.
  void init_weights(uint64_t seed);
  // Checkpoint name -> parameter (lm_head.weight absent when tied).
  std::map<std::string, torch::Tensor> named_weights() const;

  const ModelConfig& config() const { return config_; }
  DecoderLayer& layer(int64_t index) { return *model_->layers->ptr<DecoderLayer>(index); }
  torch::ScalarType dtype() const { return dtype_; }
  // With gradients and no cache, each decoder layer keeps only its input and recomputes its
  // activations in the backward (model/activation_checkpoint): less memory, one more forward.
  void set_activation_checkpointing(bool on) { activation_checkpointing_ = on; }
  // Whether a LoRA adapter is attached to some projection and switched on (the CPU decoder,
  // which reads the weights alone, then stands aside).
  bool lora_active() const;
  // Where the parameters live; inputs built on the CPU are moved there by hidden().
  torch::Device device() const;
  // Whether shard_tensor_parallel cut this model, and over which group (nullptr: not cut).
  bool tensor_parallel() const { return tp_ != nullptr; }
  Comm* tensor_parallel_group() const { return tp_; }
  // For clipping by the whole model's gradient norm: the group this model is cut over
  // (nullptr without tensor parallelism) and, for each of parameters(), whether every rank of
  // the group holds it whole.
  TensorParallelNorm tensor_parallel_norm() const;
  // Cuts this (full) model into rank group.rank()'s slices for tensor parallelism over `group`
  // (model/tensor_parallel.h): heads, MLP width and vocabulary divided by the group size, which
  // must divide them (an InputError otherwise). logits() still returns the whole vocabulary.
  // named_weights() then holds this rank's slices. `group` must outlive the model.
  void shard_tensor_parallel(Comm& group);

 private:
  // This rank's columns of the logits (all of them without tensor parallelism).
  torch::Tensor local_logits(const torch::Tensor& hidden_states);
  // Under tensor parallelism: which ids fall in this rank's vocabulary rows, and their index
  // there (0 for the others).
  std::pair<torch::Tensor, torch::Tensor> vocabulary_slice(const torch::Tensor& ids) const;

  ModelConfig config_;
  torch::ScalarType dtype_;
  bool activation_checkpointing_ = false;
  Comm* tp_ = nullptr;
  int64_t vocab_begin_ = 0, vocab_end_ = 0;  // this rank's rows of the embedding and head
  std::shared_ptr<DecoderStack> model_;
  torch::nn::Linear lm_head_{nullptr};
};

}  // namespace scir
