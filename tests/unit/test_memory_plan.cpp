// scir_hpc plan's estimates: the paper-scale table of docs/PERFORMANCE.md (Mistral-7B's shape,
// 64 ranks), the KV cache, and activations against the peaks the activation benchmark measured.
#include <gtest/gtest.h>

#include "input_error.h"
#include "scir/perf/memory_plan.h"
#include "tiny_model.h"

namespace scir {
namespace {

using testing_support::input_error;

ModelConfig mistral_7b() { return testing_support::mistral_7b_config(); }

double model_state(const MemoryPlan& plan) {
  return plan.weights + plan.master_weights + plan.gradients + plan.optimizer_state;
}

// The 7B SCIR step measured on an H200 (docs/GPU.md): bfloat16, activation checkpointing, 16
// sequences of 256 tokens on one rank.
MemoryPlanSettings seven_billion_step() {
  MemoryPlanSettings s;
  s.model = mistral_7b();
  s.ranks = 1;
  s.dtype = torch::kBFloat16;
  s.activation_checkpointing = true;
  s.train_sequences = 16;
  s.train_tokens = 256;
  s.response_tokens = 192;
  return s;
}

TEST(MemoryPlan, PaperScaleTable) {
  MemoryPlanSettings s;
  s.model = mistral_7b();
  s.ranks = 64;
  s.dtype = torch::kBFloat16;
  ASSERT_EQ(s.model.parameter_count(), 7241732096);
  // 16 bytes a parameter: bfloat16 weights and gradients, float32 master weights and moments.
  const double tables[][3] = {{1, 115.9, 30.3}, {2, 57.9, 15.8}, {4, 29.0, 8.6}, {8, 14.5, 5.0}};
  for (const auto& [tp, whole, zero1] : tables) {
    s.tensor_parallel = static_cast<int64_t>(tp);
    s.zero1 = false;
    EXPECT_NEAR(model_state(plan_memory(s)) / 1e9, whole, 0.05) << "tp " << tp;
    s.zero1 = true;
    EXPECT_NEAR(model_state(plan_memory(s)) / 1e9, zero1, 0.05) << "tp " << tp;
  }
  // float32: no master copy, 16 bytes a parameter before ZeRO-1.
  s.dtype = torch::kFloat;
  s.tensor_parallel = 1;
  s.zero1 = true;
  const MemoryPlan plan = plan_memory(s);
  EXPECT_EQ(plan.master_weights, 0);
  EXPECT_DOUBLE_EQ(model_state(plan), 7241732096.0 * (4 + 4 + 8.0 / 64));
}

// The step tests/gpu measured on an H200 (docs/GPU.md): one rank, bfloat16, activation
// checkpointing, 16 sequences of 256 tokens (192 of them the response), float32 master weights
// and moments built after the backward; the caching allocator's peak was 1.27e5 MiB.
TEST(MemoryPlan, SevenBillionStepAgreesWithTheMeasuredPeak) {
  MemoryPlanSettings s = seven_billion_step();
  const MemoryPlan plan = plan_memory(s);
  EXPECT_DOUBLE_EQ(plan.step_gradients, 7241732096.0 * 4);
  const double measured = 1.27e5 * (1 << 20);
  EXPECT_NEAR(plan.training() / measured, 1.0, 0.05);
  // Under ZeRO-1 the flat float32 gradients sit beside the bfloat16 ones.
  s.zero1 = true;
  EXPECT_DOUBLE_EQ(plan_memory(s).step_gradients, 7241732096.0 * 6);
}

// LoRA rank 16 on all seven projections of Mistral-7B: a layer adapts q and o (4096 x 4096),
// k and v (1024 x 4096), gate, up and down (14336 x 4096 or its transpose), 16 x (in + out)
// each: 1,310,720 a layer, 41,943,040 in 32 layers. The base stays bfloat16 without gradients,
// master copy or moments; the adapters are float32 with theirs.
TEST(MemoryPlan, LoraFreezesTheBaseAndTrainsFloat32Adapters) {
  MemoryPlanSettings s = seven_billion_step();
  const MemoryPlan full = plan_memory(s);
  s.lora_rank = 16;
  const MemoryPlan lora = plan_memory(s);
  const double adapters = 41943040.0;
  EXPECT_EQ(lora.trained_parameters, 41943040);
  EXPECT_EQ(full.trained_parameters, 7241732096);
  EXPECT_DOUBLE_EQ(lora.weights, 7241732096.0 * 2 + adapters * 4);
  EXPECT_DOUBLE_EQ(lora.master_weights, 0);
  EXPECT_DOUBLE_EQ(lora.gradients, adapters * 4);
  EXPECT_DOUBLE_EQ(lora.step_gradients, adapters * 4);
  EXPECT_DOUBLE_EQ(lora.optimizer_state, adapters * 8);
  EXPECT_DOUBLE_EQ(lora.activations, full.activations);
  // The measured full step (133 GB on an H200) does not fit 80 GB; with LoRA it does.
  EXPECT_GT(full.training(), 80e9);
  EXPECT_LT(lora.training(), 80e9);
  s.lora_targets = {"q", "v"};  // 16 x (8192 + 5120) a layer
  EXPECT_EQ(plan_memory(s).trained_parameters, 16 * (8192 + 5120) * 32);
  // Under --tp 2 a rank holds the slices of the factors cut with their matrix: q and v are cut
  // by rows, so B's rows (out / 2) beside A whole; o and down by columns, so A's (in / 2) beside
  // B whole.
  s.tensor_parallel = 2;
  s.ranks = 2;
  EXPECT_EQ(plan_memory(s).trained_parameters, 16 * (4096 + 4096 / 2 + 4096 + 1024 / 2) * 32);
  s.lora_targets = {"o", "down"};
  EXPECT_EQ(plan_memory(s).trained_parameters, 16 * (4096 / 2 + 4096 + 14336 / 2 + 4096) * 32);
}

TEST(MemoryPlan, KvCacheIsKeysAndValuesOfEveryLayer) {
  MemoryPlanSettings s;
  s.model = mistral_7b();
  s.ranks = 2;
  s.tensor_parallel = 2;
  s.dtype = torch::kBFloat16;
  s.generation_sequences = 64;
  s.generation_tokens = 1024;
  // 2 (K and V) x 32 layers x 4 of the 8 key-value heads x 128 x 64 x 1024 tokens x 2 bytes.
  EXPECT_DOUBLE_EQ(plan_memory(s).kv_cache, 2.0 * 32 * 4 * 128 * 64 * 1024 * 2);
}

// bench/activation_memory_bench.cpp's shapes (float32, heads of 64, SwiGLU 11/4 of the width,
// vocabulary 256, half of each sequence the response) and the peaks it measured above the built
// model (docs/PERFORMANCE.md): activations, LM head and gradients within 20%.
TEST(MemoryPlan, ActivationsAgreeWithTheMeasuredPeaks) {
  struct Measured {
    int64_t layers, batch, tokens;
    bool checkpointed;
    double megabytes;
  };
  for (const Measured& m : {Measured{4, 8, 256, false, 248.9}, Measured{4, 8, 256, true, 134.8},
                            Measured{8, 8, 512, false, 1028.6}, Measured{8, 8, 512, true, 408.4}}) {
    MemoryPlanSettings s;
    s.model.hidden_size = 256;
    s.model.intermediate_size = 256 * 11 / 4;
    s.model.num_hidden_layers = m.layers;
    s.model.num_attention_heads = s.model.num_key_value_heads = 4;
    s.model.head_dim = 64;
    s.model.vocab_size = 256;
    s.train_sequences = m.batch;
    s.train_tokens = m.tokens;
    s.response_tokens = m.tokens / 2;
    s.activation_checkpointing = m.checkpointed;
    const MemoryPlan plan = plan_memory(s);
    const double estimate = (plan.activations + plan.lm_head + plan.gradients) / (1 << 20);
    EXPECT_NEAR(estimate / m.megabytes, 1.0, 0.2)
        << m.layers << " layers, " << m.tokens << " tokens, checkpointed " << m.checkpointed << ": "
        << estimate << " MB";
  }
}

TEST(MemoryPlan, ImpossibleLayoutsAreRefused) {
  MemoryPlanSettings s;
  s.model = mistral_7b();
  s.ranks = 6;
  s.tensor_parallel = 4;
  EXPECT_EQ(input_error([&] { plan_memory(s); }), "tensor parallelism 4 must divide the 6 ranks");
  s.ranks = 24;
  s.tensor_parallel = 3;
  EXPECT_EQ(input_error([&] { plan_memory(s); }),
            "tensor parallelism over 3 ranks needs num_attention_heads (32) to be a multiple of 3");
  s.tensor_parallel = 1;
  s.response_tokens = 600;
  EXPECT_EQ(input_error([&] { plan_memory(s); }),
            "response tokens (600) must be in [1, 512], the training sequence's tokens");
}

}  // namespace
}  // namespace scir
