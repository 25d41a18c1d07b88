// scir_hpc bench: it runs, its JSON is valid, and the token counts are those of the settings.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace {

// A bench of the smallest model (one layer, width 16): `extra` settings, JSON to `out`.
std::string tiny_bench(const std::string& extra, const std::string& out) {
  return scir_hpc(
      "bench --threads 1 --model.hidden_size 16 --model.intermediate_size 32 "
      "--model.num_hidden_layers 1 " +
      extra + " --out " + out);
}

// The file's phases by name.
std::map<std::string, nlohmann::json> phases_of(const std::string& out) {
  std::ifstream file(out);
  const nlohmann::json json = nlohmann::json::parse(file);
  std::map<std::string, nlohmann::json> phases;
  for (const auto& phase : json["phases"]) phases[phase["phase"]] = phase;
  return phases;
}

// Each (arguments, message) of `cases` given to the bench program at `path` (called `name`):
// exit code 2 and the message as the one line of output.
template <size_t N>
void expect_refused(const std::string& path, const std::string& name,
                    const std::pair<const char*, const char*> (&cases)[N]) {
  for (const auto& [args, message] : cases) {
    const CommandResult bad = run_command(path + " " + args);
    EXPECT_EQ(bad.exit_code, 2) << args;
    EXPECT_EQ(bad.out, name + ": error: " + message + "\n") << args;
  }
}

TEST(BenchCli, WritesEveryPhaseWithTheTokensOfItsSettings) {
  const std::string out = scratch_path("scir_bench.json");
  std::filesystem::remove(out);
  const CommandResult result =
      run_command(tiny_bench("--bench.batch 3 --bench.prompt_tokens 7 --bench.response_tokens 5 "
                             "--bench.new_tokens 4 --bench.repeats 2 --bench.sgemm_seconds 0.05",
                             out));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  std::ifstream file(out);
  const nlohmann::json json = nlohmann::json::parse(file);
  EXPECT_GT(json["peak_gflops"].get<double>(), 0);
  EXPECT_EQ(json["device"].get<std::string>(), "cpu");
  EXPECT_EQ(json["peak"].get<std::string>(), "sgemm float32 1024^3");
  std::map<std::string, nlohmann::json> phases = phases_of(out);
  ASSERT_EQ(phases.size(), 6u);
  // Bytes: a prompt is BOS + 6 characters, a response 4 characters + EOS.
  EXPECT_EQ(phases["generation"]["tokens"].get<double>(), 2 * 3 * 4);
  EXPECT_EQ(phases["scoring"]["tokens"].get<double>(), 2 * 3 * (7 + 5));
  EXPECT_EQ(phases["sft_step"]["tokens"].get<double>(), 2 * 3 * (7 + 5));
  EXPECT_GT(phases["scir_step"]["tokens"].get<double>(),
            phases["scoring"]["tokens"].get<double>() * 2);  // plus two judge prompts a pair
  // Both responses of each pair with their prompt.
  EXPECT_EQ(phases["dpo_step"]["tokens"].get<double>(), 2 * 3 * (7 + 5) * 2);
  for (const auto& [name, phase] : phases) {
    const double rate = phase["tokens_per_s"].get<double>();
    EXPECT_TRUE(std::isfinite(rate) && rate > 0) << name;
    EXPECT_NEAR(phase["mfu"].get<double>(),
                phase["gflops_per_s"].get<double>() / json["peak_gflops"].get<double>(), 1e-9)
        << name;
    EXPECT_EQ(phase["mfu_nominal"].get<double>(), 0) << name;  // no nominal peak given
  }
  // The FLOP count (perf/model_flops): scoring puts 2 x 3 sequences of T = 12 tokens through a
  // forward, 2 N T + 4 L d T^2 each (one layer, d = 16); training steps count three times that.
  const double n = json["multiplying_parameters"].get<double>();
  const auto counted_flops = [&](const std::string& name) {
    return phases[name]["gflops_per_s"].get<double>() * phases[name]["seconds"].get<double>() * 1e9;
  };
  const double forward = 2 * n * 12 + 4 * 1 * 16 * 12 * 12;
  EXPECT_NEAR(counted_flops("scoring"), 2 * 3 * forward, 1e-6 * forward);
  EXPECT_NEAR(counted_flops("sft_step"), 3 * 2 * 3 * forward, 1e-6 * forward);
  EXPECT_NEAR(counted_flops("dpo_step"), 3 * 2 * 3 * 2 * forward, 1e-6 * forward);
  EXPECT_NE(result.out.find("scir_step"), std::string::npos) << result.out;
}

// --bench.lora_rank adds the SCIR step with adapters: the same tokens and counted FLOPs as the
// full step, and both training steps report their optimiser's share of the time.
TEST(BenchCli, ALoraRankAddsTheLoraScirStepWithTheFullStepsWork) {
  const std::string out = scratch_path("scir_bench_lora.json");
  std::filesystem::remove(out);
  const CommandResult result =
      run_command(tiny_bench("--bench.batch 2 --bench.prompt_tokens 5 --bench.response_tokens 4 "
                             "--bench.new_tokens 2 --bench.repeats 2 --bench.sgemm_seconds 0.02 "
                             "--bench.lora_rank 4",
                             out));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  std::map<std::string, nlohmann::json> phases = phases_of(out);
  ASSERT_EQ(phases.size(), 7u);
  const nlohmann::json& full = phases["scir_step"];
  const nlohmann::json& lora = phases["scir_step_lora"];
  EXPECT_EQ(lora["tokens"].get<double>(), full["tokens"].get<double>());
  EXPECT_NEAR(lora["gflops_per_s"].get<double>() * lora["seconds"].get<double>(),
              full["gflops_per_s"].get<double>() * full["seconds"].get<double>(),
              1e-9 * full["gflops_per_s"].get<double>() * full["seconds"].get<double>());
  for (const char* name : {"scir_step", "dpo_step", "scir_step_lora"}) {
    const double share = phases[name]["optimizer_share"].get<double>();
    EXPECT_TRUE(share > 0 && share < 1) << name << " " << share;
  }
  EXPECT_EQ(phases["scoring"]["optimizer_share"].get<double>(), -1);
  const CommandResult too_wide = run_command(tiny_bench("--bench.lora_rank 9", out));
  EXPECT_EQ(too_wide.exit_code, 2);
  EXPECT_EQ(too_wide.out,
            "scir_hpc: error: option '--bench.lora_rank': expected at most 8, the smaller "
            "dimension of self_attn.k_proj (8 x 16), got '9'\n");
}

TEST(BenchCli, TwoRanksReportTheJobsTokensAndPeak) {
  const std::string out = scratch_path("scir_bench_2ranks.json");
  std::filesystem::remove(out);
  const CommandResult result =
      run_command(std::string(SCIR_MPIEXEC) + " " +
                  tiny_bench("--bench.batch 3 --bench.prompt_tokens 7 --bench.response_tokens 5 "
                             "--bench.new_tokens 4 --bench.repeats 2 --bench.sgemm_seconds 0.05",
                             out));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  std::map<std::string, nlohmann::json> phases = phases_of(out);
  // Each rank runs the batch: the job's tokens are twice one rank's.
  EXPECT_EQ(phases["generation"]["tokens"].get<double>(), 2 * 2 * 3 * 4);
  EXPECT_EQ(phases["sft_step"]["tokens"].get<double>(), 2 * 2 * 3 * (7 + 5));
}

TEST(BenchCli, BadSettingsAreRefused) {
  const CommandResult result = run_command(scir_hpc("bench --bench.repeats 0"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out,
            "scir_hpc: error: option '--bench.repeats': expected an integer >= 1, got '0'\n");
}

TEST(BenchCli, ANominalPeakGivesASecondMfu) {
  const std::string out = scratch_path("scir_bench_nominal.json");
  const CommandResult result =
      run_command(tiny_bench("--bench.batch 2 --bench.prompt_tokens 4 --bench.response_tokens 3 "
                             "--bench.new_tokens 2 --bench.repeats 1 --bench.sgemm_seconds 0.02 "
                             "--bench.dtype bfloat16 --bench.nominal_tflops 2",
                             out));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  std::ifstream file(out);
  const nlohmann::json json = nlohmann::json::parse(file);
  EXPECT_EQ(json["nominal_peak_tflops"].get<double>(), 2);
  for (const auto& phase : json["phases"]) {
    EXPECT_NEAR(phase["mfu_nominal"].get<double>(), phase["gflops_per_s"].get<double>() / 2000,
                1e-12);
  }
  EXPECT_NE(result.out.find("MFU of nominal"), std::string::npos) << result.out;
}

// The KV-cache bench: a small model shape of its flags gives the same tokens both ways, and a
// bad flag is one line naming it, exit code 2.
// scir_gpu_bench on the CPU: --phases times generation alone, and its bytes are the least a
// decoding step reads (perf/decode_traffic), counted per step: 2 steps of one row after a
// 4-token prompt read the N multiplying weights twice and the row's keys and values over 5 and
// then 6 positions (the 125M shape: 12 layers, 4 key-value heads of 64; float32).
TEST(GpuBench, GenerationAloneWithTheBytesItsStepsRead) {
  const std::string out = scratch_path("scir_gpu_bench_generation.json");
  const CommandResult ok = run_command(
      std::string(SCIR_GPU_BENCH_BINARY) +
      " --device cpu --dtype float32 --shape 125m --phases generation --batch 1 "
      "--prompt-tokens 4 --new-tokens 2 --repeats 1 --nominal-bandwidth-gbs 100 --out " +
      out);
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("generation: "), std::string::npos) << ok.out;
  std::ifstream file(out);
  const nlohmann::json json = nlohmann::json::parse(file);
  ASSERT_EQ(json["phases"].size(), 1u);
  const nlohmann::json& generation = json["phases"][0];
  EXPECT_EQ(generation["phase"], "generation");
  EXPECT_EQ(generation["tokens"].get<double>(), 2.0);
  const double weights = json["multiplying_parameters"].get<double>() * 4;
  const double cache = 2.0 * 12 * 4 * 64 * 4;  // a position's keys and values, all layers
  const double bytes =
      generation["gbytes_per_s"].get<double>() * 1e9 * generation["seconds"].get<double>();
  EXPECT_NEAR(bytes, 2 * weights + (5 + 6) * cache, 1e-9 * bytes);
  EXPECT_DOUBLE_EQ(generation["bandwidth_share"].get<double>(),
                   generation["gbytes_per_s"].get<double>() / 100);
  const std::pair<const char*, const char*> cases[] = {
      {"--device cpu --phases generation,decode",
       "option '--phases': expected names among generation, scoring, judging, sft_step, "
       "scir_step, dpo_step, scir_step_lora, generation_batched, generation_refilled, got "
       "'decode'"},
      {"--device cpu --shape 70b", "option '--shape': expected 125m, 1b or 7b, got '70b'"},
      {"--device cpu --refill-rounds 1.5",
       "option '--refill-rounds': expected an integer >= 1, got '1.5'"}};
  expect_refused(SCIR_GPU_BENCH_BINARY, "scir_gpu_bench", cases);
}

// --refill-rounds: the same requests of differing lengths batch by batch and in refilled
// slots; refilling changes no sample, so both phases produce the same number of tokens, fewer
// than every request's cap (rows stopped early).
TEST(GpuBench, RefilledSlotsGenerateWhatBatchesGenerate) {
  const std::string out = scratch_path("scir_gpu_bench_refill.json");
  const CommandResult ok = run_command(
      std::string(SCIR_GPU_BENCH_BINARY) +
      " --device cpu --dtype float32 --shape 125m --phases generation_batched,generation_refilled"
      " --batch 2 --refill-rounds 3 --prompt-tokens 4 --new-tokens 6 --repeats 1 --out " +
      out);
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  std::ifstream file(out);
  const nlohmann::json json = nlohmann::json::parse(file);
  ASSERT_EQ(json["phases"].size(), 2u);
  EXPECT_EQ(json["phases"][0]["phase"], "generation_batched");
  EXPECT_EQ(json["phases"][1]["phase"], "generation_refilled");
  const double tokens = json["phases"][0]["tokens"].get<double>();
  EXPECT_EQ(json["phases"][1]["tokens"].get<double>(), tokens);
  EXPECT_GE(tokens, 6.0);      // at least one token a request
  EXPECT_LT(tokens, 6.0 * 6);  // not every request ran to its cap
}

TEST(KvCacheBench, RunsTheShapeItIsGivenAndRefusesBadFlagsByName) {
  const std::string bench = SCIR_KV_CACHE_BENCH_BINARY;
  const CommandResult ok = run_command(
      bench + " --batch 2 --new-tokens 3 --prompt 4 --heads 4 --kv-heads 2 --threads 1");
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("same tokens: yes"), std::string::npos) << ok.out;
  const std::pair<const char*, const char*> cases[] = {
      {"--heads 0", "option '--heads': expected an integer >= 1, got '0'"},
      {"--heads 3", "option '--heads': expected a divisor of the hidden size 128, got '3'"},
      {"--kv-heads 5",
       "options '--heads' and '--kv-heads': num_attention_heads (16) must be a multiple of "
       "num_key_value_heads (5)"},
      {"--batch x", "option '--batch': expected an integer >= 1, got 'x'"},
      {"--bogus 1", "option '--bogus': unknown or without a value"}};
  expect_refused(bench, "scir_bench_kv_cache", cases);
}

// The activation-memory bench on a small shape: both peaks reported (their values are the
// bench's to measure, not this test's to assert), bad flags refused by name.
TEST(ActivationMemoryBench, RunsTheShapeItIsGivenAndRefusesBadFlagsByName) {
  const std::string bench = SCIR_ACTIVATION_MEMORY_BENCH_BINARY;
  const CommandResult ok = run_command(bench + " --batch 2 --tokens 16 --layers 2 --hidden 64");
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(ok.out.find("one training step, 2 layers of width 64, batch 2 x 16 tokens"),
            std::string::npos)
      << ok.out;
  EXPECT_NE(ok.out.find(" MB, activation checkpointing "), std::string::npos) << ok.out;
  const std::pair<const char*, const char*> cases[] = {
      {"--layers 0", "option '--layers': expected an integer >= 1, got '0'"},
      {"--bogus 1", "option '--bogus': unknown or without a value"}};
  expect_refused(bench, "scir_bench_activation_memory", cases);
}

// The layer-kernel bench on a small shape: a timing line for the formula and for each vector
// level of both operations, the kernels' values equal to the formulas', bad flags refused by name.
TEST(LayerKernelsBench, RunsTheShapeItIsGivenAndRefusesBadFlagsByName) {
  const std::string bench = SCIR_LAYER_KERNELS_BENCH_BINARY;
  const CommandResult ok =
      run_command(bench + " --batch 2 --steps 9 --intermediate 40 --calls 2 --runs 1");
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_NE(
      ok.out.find("one layer, batch 2, 9 tokens, 16 heads of 8 (8 key/value heads), SwiGLU 40"),
      std::string::npos)
      << ok.out;
  EXPECT_NE(ok.out.find("attention, operator formula"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("swiglu, one pass, baseline"), std::string::npos) << ok.out;
  EXPECT_NE(ok.out.find("same values: yes"), std::string::npos) << ok.out;
  const std::pair<const char*, const char*> cases[] = {
      {"--heads 3", "option '--heads': expected a divisor of --hidden (128), got '3'"},
      {"--kv-heads 5", "option '--kv-heads': expected a divisor of --heads (16), got '5'"},
      {"--calls 0", "option '--calls': expected an integer >= 1, got '0'"},
      {"--bogus 1", "option '--bogus': unknown or without a value"}};
  expect_refused(bench, "scir_bench_layer_kernels", cases);
}

}  // namespace
