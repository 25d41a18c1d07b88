// What a rank needs in memory for a run's training steps and its generation, estimated from the
// model's shape and the run's layout before any work starts (`scir_hpc plan`). Checked against
// the activation benchmark's measured peaks (docs/PERFORMANCE.md) and the paper-scale table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <c10/core/ScalarType.h>

#include "scir/model/model_config.h"

namespace scir {

struct MemoryPlanSettings {
  ModelConfig model;
  int64_t ranks = 1;
  int64_t tensor_parallel = 1;  // ranks a model copy is cut over; ranks / it copies
  // float32: weights, gradients and AdamW moments in float32; bfloat16 (training_dtype_names):
  // bfloat16 weights and gradients, float32 master weights and moments.
  torch::ScalarType dtype = torch::kFloat;
  bool zero1 = false;  // AdamW moments (and master weights) sharded over the copies
  bool activation_checkpointing = false;
  int64_t train_sequences = 8;    // sequences a training forward on a rank
  int64_t train_tokens = 512;     // tokens of each
  int64_t response_tokens = 256;  // of them, the ones whose log-probs go through the LM head
  int64_t generation_sequences = 16;
  int64_t generation_tokens = 1024;  // prompt and new tokens: the KV cache's length
  // LoRA (rank > 0): the weights frozen in `dtype` without gradients, master copy or moments;
  // float32 adapters on `lora_targets` with their gradients and AdamW moments.
  int64_t lora_rank = 0;
  std::vector<std::string> lora_targets = {"q", "k", "v", "o", "gate", "up", "down"};
};

// Bytes a rank holds.
struct MemoryPlan {
  int64_t parameters = 0;          // of a rank's slice
  int64_t trained_parameters = 0;  // the LoRA adapters', or all of them
  double weights = 0;
  double master_weights = 0;
  double gradients = 0;       // in the weights' dtype, as the backward leaves them
  double step_gradients = 0;  // at the optimiser step: their float32 copies (see plan_memory)
  double optimizer_state = 0;
  double activations = 0;  // kept for the backward, and a layer's backward working set
  double lm_head = 0;      // logits, log-softmax and their gradient over the response tokens
  double kv_cache = 0;
  double training() const;
  double generation() const;
  double peak() const;
};

// An InputError naming the setting when the layout is impossible (tp not dividing the ranks or
// the heads, a response longer than its sequence).
MemoryPlan plan_memory(const MemoryPlanSettings& settings);

// "12.35 GB" (10^9 bytes, as GPU memory is sold).
std::string gigabytes(double bytes);

}  // namespace scir
