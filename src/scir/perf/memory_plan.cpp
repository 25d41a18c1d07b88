#include "scir/perf/memory_plan.h"

#include <algorithm>
#include <cstdio>

#include "scir/core/errors.h"
#include "scir/model/kv_cache.h"
#include "scir/model/lora_adapter.h"
#include "scir/model/tensor_parallel.h"

namespace scir {
namespace {

// Parameters every tensor-parallel rank keeps whole: the RMSNorm weights (and Qwen 3's head
// norms); every matrix, bias and the vocabulary are cut.
int64_t replicated_parameters(const ModelConfig& m) {
  const int64_t layer = 2 * m.hidden_size + (m.qk_norm() ? 2 * m.head_dim : 0);
  return m.num_hidden_layers * layer + m.hidden_size;
}

// float32 values autograd keeps a token in one decoder layer (the RMSNorm inputs and outputs,
// q/k/v and the rotated q/k, attention's output, the two residual sums, gate/up and SwiGLU's
// output), and the attention weights a token over `tokens` positions.
double layer_values_per_token(const ModelConfig& m, int64_t tp, int64_t tokens) {
  const double heads = static_cast<double>(m.num_attention_heads) / tp;
  const double kv_heads = static_cast<double>(m.num_key_value_heads) / tp;
  const double hd = static_cast<double>(m.head_dim);
  return 4.0 * m.hidden_size + (2 * heads + 3 * kv_heads) * hd + 3.0 * m.intermediate_size / tp +
         heads * tokens;
}

}  // namespace

double MemoryPlan::training() const {
  // The backward's activations are gone when the optimiser step copies the gradients.
  return weights + master_weights + optimizer_state +
         std::max(gradients + activations + lm_head, step_gradients);
}

// The optimiser lives only in the training phases; sampling holds the weights and its cache.
double MemoryPlan::generation() const { return weights + master_weights + kv_cache; }

double MemoryPlan::peak() const { return std::max(training(), generation()); }

MemoryPlan plan_memory(const MemoryPlanSettings& s) {
  const ModelConfig& m = s.model;
  const int64_t tp = s.tensor_parallel;
  if (tp < 1 || s.ranks < 1 || s.ranks % tp != 0)
    throw InputError(cat("tensor parallelism ", tp, " must divide the ", s.ranks, " ranks"));
  const std::string indivisible = indivisible_dimension(m, tp);
  if (!indivisible.empty())
    throw InputError(cat("tensor parallelism over ", tp, " ranks needs ", indivisible,
                         " to be a multiple of ", tp));
  if (s.train_sequences < 1 || s.train_tokens < 1 || s.generation_sequences < 1 ||
      s.generation_tokens < 1)
    throw InputError("batch sizes and token counts must be >= 1");
  if (s.response_tokens < 1 || s.response_tokens > s.train_tokens)
    throw InputError(cat("response tokens (", s.response_tokens, ") must be in [1, ",
                         s.train_tokens, "], the training sequence's tokens"));
  const int64_t copies = s.ranks / tp;
  const double shard = s.zero1 ? 1.0 / copies : 1.0;
  MemoryPlan plan;
  const int64_t replicated = replicated_parameters(m);
  plan.parameters = (m.parameter_count() - replicated) / tp + replicated;
  const double p = static_cast<double>(plan.parameters);
  const bool mixed = s.dtype != torch::kFloat;
  const double value_bytes = static_cast<double>(c10::elementSize(s.dtype));
  if (s.lora_rank > 0) {
    // The frozen weights take no gradient, master copy or moments; the float32 adapters do.
    plan.trained_parameters = lora_parameter_count(m, s.lora_targets, s.lora_rank, tp);
    const double a = static_cast<double>(plan.trained_parameters);
    plan.weights = p * value_bytes + a * 4.0;
    plan.gradients = a * 4.0;
    plan.step_gradients = s.zero1 ? 2 * a * 4.0 : a * 4.0;
    plan.optimizer_state = a * 8.0 * shard;
  } else {
    plan.trained_parameters = plan.parameters;
    plan.weights = p * value_bytes;
    plan.gradients = p * value_bytes;
    // The step works on float32 gradients: the master weights' copies, each low-precision
    // gradient released as it is copied (float32 gradients are their own); under ZeRO-1 one flat
    // float32 vector of all of them, taken beside the gradients it is filled from.
    plan.step_gradients = s.zero1 ? p * 4.0 + plan.gradients : std::max(p * 4.0, plan.gradients);
    plan.master_weights = mixed ? p * 4.0 * shard : 0.0;
    plan.optimizer_state = p * 8.0 * shard;  // AdamW's two moments, float32
  }

  const double tokens = static_cast<double>(s.train_sequences) * s.train_tokens;
  const double layer = tokens * layer_values_per_token(m, tp, s.train_tokens) * value_bytes;
  const double layer_inputs = tokens * m.hidden_size * value_bytes;
  // A layer's backward needs about two layers' worth at once (its gradients beside what it
  // kept; checkpointed, the recomputed forward too): calibrated on the activation benchmark.
  plan.activations = s.activation_checkpointing ? m.num_hidden_layers * layer_inputs + 3 * layer
                                                : m.num_hidden_layers * layer + 2 * layer;
  const double vocab = static_cast<double>(m.vocab_size) / tp;
  plan.lm_head = 3.0 * s.train_sequences * s.response_tokens * vocab * 4.0;
  plan.kv_cache = kv_cache_bytes(m, tp, s.generation_sequences, s.generation_tokens, value_bytes);
  return plan;
}

std::string gigabytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f GB", bytes / 1e9);
  return text;
}

}  // namespace scir
