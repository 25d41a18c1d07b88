#include "scir/model/transformer.h"

#include "scir/core/errors.h"
#include "scir/model/activation_checkpoint.h"
#include "scir/model/attention_mask.h"
#include "scir/model/cpu_attention.h"
#include "scir/model/precision.h"
#include "scir/model/rms_norm.h"
#include "scir/model/swiglu.h"
#include "scir/model/tensor_parallel.h"

namespace scir {
namespace {

torch::nn::Linear linear(int64_t in, int64_t out, bool bias = false) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
}

// Fused attention: LibTorch 2.5 or later (the GPU checks ran on 2.11); Debian's 1.13 has none.
#define SCIR_FUSED_ATTENTION \
  (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 5))
#if SCIR_FUSED_ATTENTION
// LibTorch >= 2.5 on a GPU: PyTorch's fused attention (its memory-efficient kernel takes the
// additive bias) never stores the [T, K] scores, which at batch 256 of 600-token judge prompts
// filled an H200. That kernel has no grouped-query mode, so each key/value head is repeated for
// the query heads that share it (K x head_dim a head, small next to the scores).
torch::Tensor fused_attention(const torch::Tensor& q, const torch::Tensor& k,
                              const torch::Tensor& v, const torch::Tensor& bias, int64_t groups) {
  const torch::Tensor keys = groups > 1 ? k.repeat_interleave(groups, 1) : k;
  const torch::Tensor values = groups > 1 ? v.repeat_interleave(groups, 1) : v;
  const torch::Tensor context =
      at::scaled_dot_product_attention(q, keys, values, bias.to(q.scalar_type()));
  return context.transpose(1, 2).reshape({q.size(0), q.size(2), q.size(1) * q.size(3)});
}
#endif

// On the CPU q/k/v and gate/up each run as one matrix product on weights stacked each call, and
// SwiGLU as one pass over the gate/up output (README, Performance). On a GPU the stacking would
// copy every projection's weights each call, as much memory traffic as a decoding step's
// products themselves, for products cuBLAS runs as fast apart; there they stay separate.
bool stacks_projections(const torch::Tensor& x) { return x.device().is_cpu(); }

// bfloat16 and float16 products on the CPU run in float32, each result rounded once: LibTorch's
// CPU kernels for those dtypes accumulate differently as the number of rows changes, so a
// sequence's log-probs moved with the batch around it (0.05 nats in bfloat16 between a
// sequence alone and in a padded batch), and the implicit reward of pi_theta = pi_ref was not
// zero. float32 products are row for row the same in any batch.
bool rounds_through_float32(const torch::Tensor& x) {
  return x.device().is_cpu() &&
         (x.scalar_type() == torch::kBFloat16 || x.scalar_type() == torch::kHalf);
}

// `rounded` false keeps the float32 result (the LM head's logits).
torch::Tensor product(const torch::Tensor& x, const torch::Tensor& weight,
                      const torch::Tensor& bias = torch::Tensor(), bool rounded = true) {
  if (!rounds_through_float32(x)) return torch::nn::functional::linear(x, weight, bias);
  const torch::Tensor wide_bias = bias.defined() ? bias.to(torch::kFloat) : bias;
  const torch::Tensor wide =
      torch::nn::functional::linear(x.to(torch::kFloat), weight.to(torch::kFloat), wide_bias);
  return rounded ? wide.to(x.scalar_type()) : wide;
}

// Attention as the products above: on the CPU in float32 for bfloat16 and float16 tensors.
torch::Tensor batch_invariant_attention(const torch::Tensor& q, const torch::Tensor& k,
                                        const torch::Tensor& v, const torch::Tensor& bias) {
  if (!rounds_through_float32(q)) return attention(q, k, v, bias);
  return attention(q.to(torch::kFloat), k.to(torch::kFloat), v.to(torch::kFloat),
                   bias.to(torch::kFloat))
      .to(q.scalar_type());
}

}  // namespace

RmsNorm::RmsNorm(int64_t size, double eps) : eps_(eps) {
  weight = register_parameter("weight", torch::ones({size}));
}

torch::Tensor RmsNorm::forward(const torch::Tensor& x) { return rms_norm(x, weight, eps_); }

Attention::Attention(const ModelConfig& config)
    : heads_(config.num_attention_heads),
      kv_heads_(config.num_key_value_heads),
      head_dim_(config.head_dim) {
  const bool bias = config.qkv_bias();
  q_proj = register_module("q_proj", linear(config.hidden_size, heads_ * head_dim_, bias));
  k_proj = register_module("k_proj", linear(config.hidden_size, kv_heads_ * head_dim_, bias));
  v_proj = register_module("v_proj", linear(config.hidden_size, kv_heads_ * head_dim_, bias));
  o_proj = register_module("o_proj", linear(heads_ * head_dim_, config.hidden_size));
  if (config.qk_norm()) {
    q_norm = register_module("q_norm", std::make_shared<RmsNorm>(head_dim_, config.rms_norm_eps));
    k_norm = register_module("k_norm", std::make_shared<RmsNorm>(head_dim_, config.rms_norm_eps));
  }
}

torch::Tensor Attention::head_norm(const std::shared_ptr<RmsNorm>& norm,
                                   const torch::Tensor& heads) {
  if (!norm) return heads;
  const torch::Tensor weight = tp_ ? copy_to_tensor_parallel(norm->weight, *tp_) : norm->weight;
  return rms_norm(heads, weight, norm->eps());
}

void Attention::use_tensor_parallel(Comm& group) {
  heads_ /= group.size();
  kv_heads_ /= group.size();
  tp_ = &group;
}

torch::Tensor Attention::forward(const torch::Tensor& input, const RotaryTables& rotary,
                                 const torch::Tensor& bias, KvCache* cache, int64_t layer) {
  // Tensor parallel: this rank's heads from the replicated input, partial outputs summed.
  const torch::Tensor x = tp_ ? copy_to_tensor_parallel(input, *tp_) : input;
  const auto project_out = [&](const torch::Tensor& context) {
    const torch::Tensor out = add_lora(product(context, o_proj->weight), context, lora, "o_proj");
    return tp_ ? reduce_from_tensor_parallel(out, *tp_) : out;
  };
  const int64_t batch = x.size(0), steps = x.size(1);
  // Stacked, the output is split into views, whose gradients autograd joins in one copy.
  const torch::Tensor stacked_bias = q_proj->bias.defined()
                                         ? torch::cat({q_proj->bias, k_proj->bias, v_proj->bias})
                                         : torch::Tensor();
  std::vector<torch::Tensor> qkv =
      stacks_projections(x)
          ? product(x, torch::cat({q_proj->weight, k_proj->weight, v_proj->weight}), stacked_bias)
                .split_with_sizes(
                    {heads_ * head_dim_, kv_heads_ * head_dim_, kv_heads_ * head_dim_}, -1)
          : std::vector<torch::Tensor>{q_proj(x), k_proj(x), v_proj(x)};
  const char* names[] = {"q_proj", "k_proj", "v_proj"};
  for (int i = 0; i < 3; ++i) qkv[i] = add_lora(qkv[i], x, lora, names[i]);
  torch::Tensor q =
      head_norm(q_norm, qkv[0].view({batch, steps, heads_, head_dim_})).transpose(1, 2);
  torch::Tensor k =
      head_norm(k_norm, qkv[1].view({batch, steps, kv_heads_, head_dim_})).transpose(1, 2);
  torch::Tensor v = qkv[2].view({batch, steps, kv_heads_, head_dim_}).transpose(1, 2);
  q = apply_rotary(q, rotary);
  k = apply_rotary(k, rotary);
  if (cache && cache->write_index.defined()) {
    cache->keys[layer].index_copy_(2, cache->write_index, k);
    cache->values[layer].index_copy_(2, cache->write_index, v);
    k = cache->keys[layer];
    v = cache->values[layer];
  } else if (cache) {
    const int64_t start = cache->length;
    cache->keys[layer].narrow(2, start, steps).copy_(k);
    cache->values[layer].narrow(2, start, steps).copy_(v);
    k = cache->keys[layer].narrow(2, 0, start + steps);
    v = cache->values[layer].narrow(2, 0, start + steps);
  }
#if SCIR_FUSED_ATTENTION
  if (q.is_cuda()) return project_out(fused_attention(q, k, v, bias, heads_ / kv_heads_));
#endif
  return project_out(batch_invariant_attention(q, k, v, bias));
}

SwiGluMlp::SwiGluMlp(const ModelConfig& config) {
  gate_proj = register_module("gate_proj", linear(config.hidden_size, config.intermediate_size));
  up_proj = register_module("up_proj", linear(config.hidden_size, config.intermediate_size));
  down_proj = register_module("down_proj", linear(config.intermediate_size, config.hidden_size));
}

torch::Tensor SwiGluMlp::forward(const torch::Tensor& input) {
  const torch::Tensor x = tp_ ? copy_to_tensor_parallel(input, *tp_) : input;
  torch::Tensor gated;
  if (stacks_projections(x)) {
    torch::Tensor fused = product(x, torch::cat({gate_proj->weight, up_proj->weight}));
    if (lora_active(lora)) {
      // The adapters' terms join each half of the fused output; the base product is unchanged.
      const int64_t width = gate_proj->weight.size(0);  // up_proj's too
      const auto term = [&](const char* name) {
        const torch::Tensor t = lora_term(x, lora, name, fused.scalar_type());
        return t.defined() ? t : torch::zeros_like(fused.narrow(-1, 0, width));
      };
      fused = fused + torch::cat({term("gate_proj"), term("up_proj")}, -1);
    }
    gated = swiglu(fused);
  } else {
    gated = torch::silu(add_lora(gate_proj(x), x, lora, "gate_proj")) *
            add_lora(up_proj(x), x, lora, "up_proj");
  }
  const torch::Tensor out = add_lora(product(gated, down_proj->weight), gated, lora, "down_proj");
  return tp_ ? reduce_from_tensor_parallel(out, *tp_) : out;
}

DecoderLayer::DecoderLayer(const ModelConfig& config) {
  self_attn = register_module("self_attn", std::make_shared<Attention>(config));
  mlp = register_module("mlp", std::make_shared<SwiGluMlp>(config));
  input_layernorm = register_module(
      "input_layernorm", std::make_shared<RmsNorm>(config.hidden_size, config.rms_norm_eps));
  post_attention_layernorm =
      register_module("post_attention_layernorm",
                      std::make_shared<RmsNorm>(config.hidden_size, config.rms_norm_eps));
}

torch::Tensor DecoderLayer::forward(const torch::Tensor& x, const RotaryTables& rotary,
                                    const torch::Tensor& bias, KvCache* cache, int64_t layer) {
  const torch::Tensor h =
      x + self_attn->forward(input_layernorm->forward(x), rotary, bias, cache, layer);
  return h + mlp->forward(post_attention_layernorm->forward(h));
}

DecoderStack::DecoderStack(const ModelConfig& config) {
  embed_tokens =
      register_module("embed_tokens", torch::nn::Embedding(config.vocab_size, config.hidden_size));
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    layers->push_back(std::make_shared<DecoderLayer>(config));
  }
  register_module("layers", layers);
  norm =
      register_module("norm", std::make_shared<RmsNorm>(config.hidden_size, config.rms_norm_eps));
}

Transformer::Transformer(const ModelConfig& config, torch::ScalarType dtype)
    : config_(config), dtype_(dtype) {
  config_.validate("model config");
  model_ = register_module("model", std::make_shared<DecoderStack>(config_));
  if (!config_.tie_word_embeddings) {
    lm_head_ = register_module("lm_head", linear(config_.hidden_size, config_.vocab_size));
  }
  to(dtype_);
}

torch::Tensor Transformer::hidden(const torch::Tensor& input_ids,
                                  const torch::Tensor& attention_mask, KvCache* cache) {
  const int64_t past = cache ? cache->length : 0;
  const int64_t steps = input_ids.size(1);
  const bool fixed_shapes = cache && cache->write_index.defined();
  if (fixed_shapes && (steps != 1 || attention_mask.size(0) != input_ids.size(0) ||
                       attention_mask.size(1) != cache->capacity)) {
    throw InternalError(cat("a step at a cache's write index takes one token a row and a mask of ",
                            cache->capacity, " positions, got ", input_ids.sizes(), " and ",
                            attention_mask.sizes()));
  }
  if (!fixed_shapes &&
      (attention_mask.size(0) != input_ids.size(0) || attention_mask.size(1) != past + steps)) {
    throw InternalError(cat("attention mask ", attention_mask.sizes(), " does not cover ", past,
                            " past + ", steps, " new positions"));
  }
  // The longest row holds every position (generation pads on the left, scoring on the right).
  check_sequence_length(past + steps);
  if (cache && past + steps > cache->capacity) {
    throw InternalError(cat("KV cache of ", cache->capacity, " positions is full"));
  }
  // Callers build ids and masks on the CPU; a no-op when the model is there too.
  const torch::Tensor ids = input_ids.to(device());
  const torch::Tensor mask = attention_mask.to(device());
  const torch::Tensor positions =
      fixed_shapes ? positions_from_mask(mask).gather(
                         1, cache->write_index.view({1, 1}).expand({mask.size(0), 1}))
                   : positions_from_mask(mask).narrow(1, past, steps);
  const RotaryTables rotary = rotary_tables(positions, config_.head_dim, config_.rope);
  const torch::Tensor bias =
      fixed_shapes ? attention_bias_at(mask, cache->write_index, config_.sliding_window, dtype_)
                   : attention_bias(mask, past, config_.sliding_window, dtype_);
  torch::Tensor x;
  if (tp_) {
    // Vocabulary-parallel embedding: this rank looks up its rows, zeros elsewhere, then a sum.
    const auto [mine, local] = vocabulary_slice(ids);
    x = reduce_from_tensor_parallel(model_->embed_tokens(local) * mine.unsqueeze(-1).to(dtype_),
                                    *tp_);
  } else {
    x = model_->embed_tokens(ids);
  }
  const bool checkpointed = activation_checkpointing_ && !cache && torch::GradMode::is_enabled();
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i) {
    DecoderLayer& layer = *model_->layers->ptr<DecoderLayer>(i);
    x = checkpointed ? checkpointed_layer_forward(layer, x, rotary, bias, i)
                     : layer.forward(x, rotary, bias, cache, i);
  }
  if (cache) cache->length += steps;
  if (fixed_shapes) cache->write_index.add_(steps);
  return model_->norm->forward(x);
}

bool Transformer::lora_active() const {
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i) {
    const DecoderLayer& layer = *model_->layers->ptr<DecoderLayer>(i);
    if (scir::lora_active(layer.self_attn->lora) || scir::lora_active(layer.mlp->lora)) return true;
  }
  return false;
}

std::pair<torch::Tensor, torch::Tensor> Transformer::vocabulary_slice(
    const torch::Tensor& ids) const {
  const torch::Tensor mine = (ids >= vocab_begin_) & (ids < vocab_end_);
  return {mine, torch::where(mine, ids - vocab_begin_, torch::zeros_like(ids))};
}

torch::Tensor Transformer::local_logits(const torch::Tensor& hidden_states) {
  const torch::Tensor h = tp_ ? copy_to_tensor_parallel(hidden_states, *tp_) : hidden_states;
  // On the CPU a bfloat16 model's logits stay float32: a judge's two verdict logits can differ by
  // less than bfloat16 resolves at their size (1e-4 in the embedded world's small models, whose
  // P_G then read exactly 1/2 on every pair).
  return product(h, config_.tie_word_embeddings ? model_->embed_tokens->weight : lm_head_->weight,
                 torch::Tensor(), /*rounded=*/false);
}

torch::Tensor Transformer::logits(const torch::Tensor& hidden_states) {
  const torch::Tensor local = local_logits(hidden_states);
  return tp_ ? gather_last_dim(local, *tp_) : local;  // this rank's vocabulary slice, joined
}

torch::Tensor Transformer::target_logprobs(const torch::Tensor& hidden_states,
                                           const torch::Tensor& targets) {
  const torch::ScalarType precision = compute_dtype(dtype_);
  if (!tp_) {
    return torch::log_softmax(logits(hidden_states).to(precision), -1)
        .gather(-1, targets.unsqueeze(-1))
        .squeeze(-1);
  }
  const torch::Tensor local = local_logits(hidden_states).to(precision);
  torch::Tensor most = std::get<0>(local.detach().max(-1)).contiguous();  // a shift, no gradient
  tp_->all_reduce(most, ReduceOp::kMax);
  const torch::Tensor shifted = local - most.unsqueeze(-1);
  const torch::Tensor total = reduce_from_tensor_parallel(shifted.exp().sum(-1), *tp_);
  // The target's logit lives on one rank: the others add zero.
  const auto [mine, index] = vocabulary_slice(targets);
  const torch::Tensor picked = reduce_from_tensor_parallel(
      shifted.gather(-1, index.unsqueeze(-1)).squeeze(-1) * mine.to(precision), *tp_);
  return picked - total.log();
}

void Transformer::shard_tensor_parallel(Comm& group) {
  const int size = group.size(), rank = group.rank();
  const std::string indivisible = indivisible_dimension(config_, size);
  if (!indivisible.empty()) {
    throw InputError(cat("tensor parallelism over ", size, " ranks needs ", indivisible,
                         " to be a multiple of ", size));
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, weight] : named_weights()) {
    const int dim = tensor_parallel_split_dim(name);
    if (dim >= 0) weight.set_data(tensor_parallel_slice(weight, dim, group));
  }
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i) {
    auto layer = model_->layers->ptr<DecoderLayer>(i);
    layer->self_attn->use_tensor_parallel(group);
    layer->mlp->use_tensor_parallel(group);
  }
  vocab_begin_ = rank * (config_.vocab_size / size);
  vocab_end_ = vocab_begin_ + config_.vocab_size / size;
  tp_ = &group;
}

TensorParallelNorm Transformer::tensor_parallel_norm() const {
  TensorParallelNorm norm;
  if (!tp_) return norm;
  norm.group = tp_;
  std::vector<torch::Tensor> whole;
  for (const auto& [name, weight] : named_weights()) {
    if (tensor_parallel_split_dim(name) < 0) whole.push_back(weight);
  }
  for (const torch::Tensor& p : parameters()) {
    norm.replicated.push_back(std::any_of(whole.begin(), whole.end(), [&](const torch::Tensor& w) {
      return w.unsafeGetTensorImpl() == p.unsafeGetTensorImpl();
    }));
  }
  return norm;
}

torch::Device Transformer::device() const { return model_->norm->weight.device(); }

void Transformer::check_sequence_length(int64_t positions) const {
  if (positions > config_.max_position_embeddings) {
    throw InputError(cat("a sequence of ", positions,
                         " tokens is longer than the model's max_position_embeddings (",
                         config_.max_position_embeddings, ")"));
  }
}

double Transformer::cache_bytes(int64_t batch, int64_t capacity) const {
  return kv_cache_bytes(config_, tp_ ? tp_->size() : 1, batch, capacity,
                        static_cast<double>(c10::elementSize(dtype_)));
}

KvCache Transformer::new_cache(int64_t batch, int64_t capacity) const {
  check_sequence_length(capacity);  // the decoding steps after the prompt reach it
  KvCache cache;
  cache.capacity = capacity;
  const auto options = torch::TensorOptions().dtype(dtype_).device(device());
  for (int64_t i = 0; i < config_.num_hidden_layers; ++i) {
    const int64_t kv_heads = config_.num_key_value_heads / (tp_ ? tp_->size() : 1);
    cache.keys.push_back(torch::empty({batch, kv_heads, capacity, config_.head_dim}, options));
    cache.values.push_back(torch::empty_like(cache.keys.back()));
  }
  return cache;
}

void Transformer::init_weights(uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto generator = at::detail::createCPUGenerator(seed);
  for (auto& [name, weight] : named_weights()) {
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0) {
      weight.zero_();  // as transformers initialises a Linear's bias for these models
    } else if (weight.dim() == 1) {
      weight.fill_(1.0);
    } else {
      torch::Tensor values = at::normal(0.0, 0.02, weight.sizes(), generator);
      weight.copy_(values);
    }
  }
}

std::map<std::string, torch::Tensor> Transformer::named_weights() const {
  std::map<std::string, torch::Tensor> weights;
  for (const auto& item : named_parameters()) weights[item.key()] = item.value();
  return weights;
}

}  // namespace scir
