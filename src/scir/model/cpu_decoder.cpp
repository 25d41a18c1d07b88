#include "scir/model/cpu_decoder.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "scir/core/errors.h"
#include "scir/core/float_loops.h"
#include "scir/model/rms_norm.h"
#include "scir/model/rotary.h"

namespace scir {
namespace {

// One query head over `keys` cached positions (rows of head_dim floats): softmax of the visible
// scores, divided by `scale` = sqrt(head_dim), then the weighted sum of the values into out.
// `scores` is scratch of `keys` floats.
void attend(const float* query, const float* cached_keys, const float* cached_values,
            const char* visible, int64_t keys, int64_t head_dim, float scale, float* scores,
            float* out) {
  float largest = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < keys; ++j) {
    scores[j] = visible[j] ? dot(query, cached_keys + j * head_dim, head_dim) / scale
                           : -std::numeric_limits<float>::infinity();
    largest = std::max(largest, scores[j]);
  }
  for (int64_t j = 0; j < keys; ++j) scores[j] -= largest;
  exp_in_place(scores, keys);  // the hidden keys' -inf gives 0
  float total = 0;
  for (int64_t j = 0; j < keys; ++j) total += scores[j];
  for (int64_t j = 0; j < keys; ++j) scores[j] /= total;
  // Eight output values at a time held in registers over all keys (adding into `out` key by key
  // would store and reload it every time).
  int64_t i = 0;
  for (; i + 8 <= head_dim; i += 8) {
    float partial[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (int64_t j = 0; j < keys; ++j) {
      const float* value = cached_values + j * head_dim + i;
      for (int lane = 0; lane < 8; ++lane) partial[lane] += scores[j] * value[lane];
    }
    std::copy_n(partial, 8, out + i);
  }
  for (; i < head_dim; ++i) {
    float sum = 0;
    for (int64_t j = 0; j < keys; ++j) sum += scores[j] * cached_values[j * head_dim + i];
    out[i] = sum;
  }
}

// out[B, N] = x[B, K] @ weight[N, K]^T, through the BLAS behind LibTorch.
void project(const torch::Tensor& x, const torch::Tensor& weight, torch::Tensor& out) {
  torch::mm_out(out, x, weight.t());
}

}  // namespace

bool CpuDecoder::supports(const Transformer& model) {
  // Its loops have no q/k/v biases, head norms or LoRA terms: such models decode through the
  // forward.
  return model.device().is_cpu() && model.dtype() == torch::kFloat && !model.tensor_parallel() &&
         !model.config().qkv_bias() && !model.config().qk_norm() && !model.lora_active();
}

CpuDecoder::CpuDecoder(const Transformer& model, int64_t capacity) : config_(model.config()) {
  if (!supports(model)) throw InternalError("CpuDecoder needs a float32 CPU model without tp");
  torch::NoGradGuard no_grad;
  const auto weights = model.named_weights();
  const auto weight = [&](const std::string& name) { return weights.at(name).detach(); };
  embedding_ = weight("model.embed_tokens.weight").contiguous();
  final_norm_ = weight("model.norm.weight").contiguous();
  head_ = config_.tie_word_embeddings ? embedding_ : weight("lm_head.weight").contiguous();
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i) {
    const std::string prefix = cat("model.layers.", i, ".");
    const auto part = [&](const std::string& name) { return weight(prefix + name + ".weight"); };
    layers_.push_back(
        {part("input_layernorm").contiguous(), part("post_attention_layernorm").contiguous(),
         torch::cat({part("self_attn.q_proj"), part("self_attn.k_proj"), part("self_attn.v_proj")}),
         part("self_attn.o_proj").contiguous(),
         torch::cat({part("mlp.gate_proj"), part("mlp.up_proj")}),
         part("mlp.down_proj").contiguous()});
  }
  // The same tables Transformer::hidden computes, one row a position.
  const RotaryTables tables = rotary_tables(torch::arange(capacity, torch::kLong).unsqueeze(0),
                                            config_.head_dim, config_.rope);
  cos_ = tables.cos.squeeze(0).contiguous();
  sin_ = tables.sin.squeeze(0).contiguous();
}

torch::Tensor CpuDecoder::step(const std::vector<int64_t>& tokens,
                               const torch::Tensor& attention_mask, KvCache& cache) {
  torch::NoGradGuard no_grad;
  const int64_t rows = static_cast<int64_t>(tokens.size());
  const int64_t past = cache.length, keys = past + 1;
  const int64_t hidden = config_.hidden_size, head_dim = config_.head_dim;
  const int64_t heads = config_.num_attention_heads, kv_heads = config_.num_key_value_heads;
  const int64_t groups = heads / kv_heads, inner = config_.intermediate_size;
  if (attention_mask.size(0) != rows || attention_mask.size(1) != keys) {
    throw InternalError(cat("attention mask ", attention_mask.sizes(), " does not cover ", past,
                            " past + 1 new position"));
  }
  if (keys > cache.capacity || keys > cos_.size(0)) {
    throw InternalError(cat("KV cache of ", cache.capacity, " positions is full"));
  }
  // Positions and visible keys as attention_mask.cpp defines them for the query at `past`:
  // real keys within the window, and the query itself.
  const torch::Tensor mask = attention_mask.to(torch::kLong).contiguous();
  const int64_t* mask_rows = mask.data_ptr<int64_t>();
  std::vector<int64_t> position(rows);
  std::vector<char> visible(rows * keys);
  for (int64_t b = 0; b < rows; ++b) {
    int64_t real = 0;
    for (int64_t j = 0; j < keys; ++j) {
      const bool is_real = mask_rows[b * keys + j] != 0;
      real += is_real;
      const bool in_window = config_.sliding_window <= 0 || past - j < config_.sliding_window;
      visible[b * keys + j] = j == past || (is_real && in_window);
    }
    position[b] = std::max<int64_t>(0, real - 1);
  }

  const auto options = torch::TensorOptions().dtype(torch::kFloat);
  torch::Tensor x = torch::empty({rows, hidden}, options);
  for (int64_t b = 0; b < rows; ++b) {
    std::copy_n(embedding_.data_ptr<float>() + tokens[b] * hidden, hidden,
                x.data_ptr<float>() + b * hidden);
  }
  const int64_t qkv_width = (heads + 2 * kv_heads) * head_dim;
  torch::Tensor qkv = torch::empty({rows, qkv_width}, options);
  torch::Tensor context = torch::empty({rows, heads * head_dim}, options);
  torch::Tensor projected = torch::empty({rows, hidden}, options);
  torch::Tensor gate_up = torch::empty({rows, 2 * inner}, options);
  torch::Tensor activated = torch::empty({rows, inner}, options);
  std::vector<float> scores(keys);
  const float scale = std::sqrt(static_cast<float>(head_dim));  // scores are divided by it

  for (size_t layer = 0; layer < layers_.size(); ++layer) {
    const Layer& weights = layers_[layer];
    project(rms_norm(x, weights.input_norm, config_.rms_norm_eps), weights.qkv, qkv);
    float* cached_keys = cache.keys[layer].data_ptr<float>();
    float* cached_values = cache.values[layer].data_ptr<float>();
    const int64_t capacity = cache.keys[layer].size(2);
    for (int64_t b = 0; b < rows; ++b) {
      float* q = qkv.data_ptr<float>() + b * qkv_width;
      float* k = q + heads * head_dim;
      const float* v = k + kv_heads * head_dim;
      const float* cos = cos_.data_ptr<float>() + position[b] * head_dim;
      const float* sin = sin_.data_ptr<float>() + position[b] * head_dim;
      for (int64_t h = 0; h < heads; ++h)
        rotate_head(q + h * head_dim, cos, sin, head_dim, false, q + h * head_dim);
      for (int64_t h = 0; h < kv_heads; ++h) {
        rotate_head(k + h * head_dim, cos, sin, head_dim, false, k + h * head_dim);
        const int64_t slot = ((b * kv_heads + h) * capacity + past) * head_dim;
        std::copy_n(k + h * head_dim, head_dim, cached_keys + slot);
        std::copy_n(v + h * head_dim, head_dim, cached_values + slot);
      }
      for (int64_t h = 0; h < heads; ++h) {
        // Query head h reads key/value head h / groups (grouped-query attention).
        const int64_t base = (b * kv_heads + h / groups) * capacity * head_dim;
        attend(q + h * head_dim, cached_keys + base, cached_values + base, &visible[b * keys], keys,
               head_dim, scale, scores.data(),
               context.data_ptr<float>() + (b * heads + h) * head_dim);
      }
    }
    project(context, weights.output, projected);
    x += projected;
    project(rms_norm(x, weights.post_norm, config_.rms_norm_eps), weights.gate_up, gate_up);
    for (int64_t b = 0; b < rows; ++b) {
      const float* gate = gate_up.data_ptr<float>() + b * 2 * inner;
      swiglu_row(gate, gate + inner, activated.data_ptr<float>() + b * inner, inner);
    }
    project(activated, weights.down, projected);
    x += projected;
  }
  cache.length = keys;
  torch::Tensor logits = torch::empty({rows, config_.vocab_size}, options);
  project(rms_norm(x, final_norm_, config_.rms_norm_eps), head_, logits);
  return logits;
}

}  // namespace scir
