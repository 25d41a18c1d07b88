// scir_hpc plan driven as a user would: Mistral-7B's shape on 64 ranks, and a layout refused
// because it does not fit the GPU memory given.
#include <gtest/gtest.h>

#include <algorithm>

#include "cli_runner.h"

namespace {

const std::string kMistral7b =
    "--model.architecture MistralForCausalLM --model.hidden_size 4096 "
    "--model.intermediate_size 14336 --model.num_hidden_layers 32 "
    "--model.num_attention_heads 32 --model.num_key_value_heads 8 --model.vocab_size 32000 "
    "--model.max_position_embeddings 32768";

TEST(PlanCli, PrintsWhatARankHolds) {
  const CommandResult result =
      run_command(scir_hpc("plan " + kMistral7b + " --ranks 64 --dtype bfloat16 --zero1"));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  // 7,241,732,096 parameters: 2 bytes each for weights and gradients, 12 / 64 sharded.
  EXPECT_NE(result.out.find("  weights            14.48 GB\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("  master weights     0.45 GB\n"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("  AdamW moments      0.91 GB\n"), std::string::npos) << result.out;
  EXPECT_NE(
      result.out.find(
          "7241732096 parameters, 7241732096 a rank; 64 ranks: 64 copies x tp 1; bfloat16, ZeRO-1"),
      std::string::npos)
      << result.out;
}

TEST(PlanCli, ALayoutThatDoesNotFitIsRefusedInOneLine) {
  const CommandResult result =
      run_command(scir_hpc("plan " + kMistral7b + " --ranks 64 --gpu-memory-gb 80"));
  EXPECT_EQ(result.exit_code, 2) << result.out;
  EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 1) << result.out;
  EXPECT_EQ(result.out.rfind("scir_hpc: error: plan: a rank needs ", 0), 0u) << result.out;
  EXPECT_NE(result.out.find("more than --gpu-memory-gb 80"), std::string::npos) << result.out;
  const CommandResult tp = run_command(scir_hpc("plan " + kMistral7b + " --ranks 64 --tp 3"));
  EXPECT_EQ(tp.exit_code, 2);
  EXPECT_EQ(tp.out, "scir_hpc: error: tensor parallelism 3 must divide the 64 ranks\n");
}

// LoRA on one 80 GB GPU: the 7B SCIR step of docs/GPU.md (bfloat16, activation checkpointing,
// 16 sequences of 256 tokens) needs 130 GB with every weight trained and fits with rank-16
// adapters; 247 sequences still fit, 248 do not.
TEST(PlanCli, LoraFitsTheSevenBillionStepOnOneGpu) {
  const std::string step = "plan " + kMistral7b +
                           " --ranks 1 --dtype bfloat16 --activation-checkpointing --tokens 256 "
                           "--response-tokens 192 --gpu-memory-gb 80 ";
  EXPECT_EQ(run_command(scir_hpc(step + "--batch 16")).exit_code, 2);
  const CommandResult lora = run_command(scir_hpc(step + "--batch 16 --lora-rank 16"));
  ASSERT_EQ(lora.exit_code, 0) << lora.out;
  EXPECT_NE(lora.out.find("LoRA rank 16: 41943040 parameters trained"), std::string::npos)
      << lora.out;
  EXPECT_NE(lora.out.find("  master weights     0.00 GB\n"), std::string::npos) << lora.out;
  EXPECT_EQ(run_command(scir_hpc(step + "--batch 247 --lora-rank 16")).exit_code, 0);
  EXPECT_EQ(run_command(scir_hpc(step + "--batch 248 --lora-rank 16")).exit_code, 2);
  const std::pair<std::string, std::string> refused[] = {
      {"--lora-targets q,v", "option '--lora-targets': expected no value unless --lora-rank > 0"},
      {"--lora-rank 2000 --lora-targets q,k",
       "option '--lora-rank': expected at most 1024, the smaller dimension of self_attn.k_proj "
       "(1024 x 4096)"},
      {"--lora-rank 8 --lora-targets q,x",
       "option '--lora-targets': expected distinct names among q, k, v, o, gate, up, down, "
       "comma-separated (got 'x')"}};
  for (const auto& [options, message] : refused) {
    const CommandResult result = run_command(scir_hpc("plan " + kMistral7b + " " + options));
    EXPECT_EQ(result.exit_code, 2) << options;
    EXPECT_NE(result.out.find(message), std::string::npos) << options << "\n" << result.out;
  }
}

// A shape whose parameter count would overflow the sizes' int64_t arithmetic is refused by
// name, not planned with a wrapped count.
TEST(PlanCli, AShapeWhoseParameterCountOverflowsIsRefused) {
  const CommandResult result = run_command(
      scir_hpc("plan --model.hidden_size 4294967296 --model.intermediate_size 4294967296 "
               "--model.num_attention_heads 4 --model.num_key_value_heads 4"));
  EXPECT_EQ(result.exit_code, 2) << result.out;
  EXPECT_EQ(result.out.rfind("scir_hpc: error: [model] options: a shape of about ", 0), 0u)
      << result.out;
  EXPECT_NE(result.out.find(" parameters (expected fewer than 2^60)\n"), std::string::npos)
      << result.out;
  EXPECT_EQ(std::count(result.out.begin(), result.out.end(), '\n'), 1) << result.out;
}

}  // namespace
