// The embedded world's commands on 2 ranks: world -> init -> pretrain -> sft -> eval.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "scir/io/h5_group.h"
#include "scir/io/hf_checkpoint.h"

namespace {

namespace fs = std::filesystem;

std::string mpi(const std::string& args) {
  return std::string(SCIR_MPIEXEC) + " " + scir_hpc(args);
}

TEST(WorldCli, TinyPipelineOnTwoRanksWritesModelsMetricsAndEvaluation) {
  const fs::path root = fs::path(scratch_path("scir_world_cli"));
  fs::remove_all(root);
  const std::string data = (root / "data").string();
  const auto ok = [](const CommandResult& result) {
    EXPECT_EQ(result.exit_code, 0) << result.out;
    return result.exit_code == 0;
  };
  ASSERT_TRUE(
      ok(run_command(scir_hpc("world --out " + data +
                              " --seed 2 --data.corpus 200 --data.ift 60 --data.eft_pairs 60 "
                              "--data.pool 16 --data.eval_prompts 12 --data.heldout_pairs 20"))));
  ASSERT_TRUE(ok(run_command(scir_hpc("init --out " + (root / "init").string() +
                                      " --model.hidden_size 32 --model.intermediate_size 64"))));
  const std::string train =
      " --train.steps 12 --train.batch_size 8 --train.warmup_steps 2 --train.log_every 4";
  ASSERT_TRUE(ok(run_command(mpi("pretrain --model " + (root / "init").string() + " --data " +
                                 data + "/corpus.jsonl --out " + (root / "m0").string() + train +
                                 " --train.checkpoint_every 6"))));
  EXPECT_TRUE(fs::exists(root / "m0" / "step_6" / "model.safetensors"));
  ASSERT_TRUE(ok(run_command(mpi("sft --model " + (root / "m0").string() + " --data " + data +
                                 "/ift.jsonl," + data + "/eft.jsonl --out " +
                                 (root / "m1").string() + train + " --train.loss_norm sequence"))));

  const scir::H5Group pretrain =
      scir::read_h5_group((root / "m0" / "metrics.h5").string(), "/pretrain/steps");
  ASSERT_EQ(pretrain.columns.at("loss").size(), 12u);
  for (const char* column : {"step", "loss", "lr", "grad_norm", "tokens", "tokens_per_s"}) {
    ASSERT_EQ(pretrain.columns.at(column).size(), 12u) << column;
    for (double value : pretrain.columns.at(column)) EXPECT_TRUE(std::isfinite(value)) << column;
  }
  EXPECT_LT(pretrain.columns.at("loss").back(), pretrain.columns.at("loss").front());
  EXPECT_EQ(scir::read_h5_group((root / "m1" / "metrics.h5").string(), "/sft/steps")
                .columns.at("loss")
                .size(),
            12u);

  const CommandResult eval =
      run_command(mpi("eval --model " + (root / "m1").string() + " --baseline " +
                      (root / "m0").string() + " --reference " + (root / "m0").string() +
                      " --world-data " + data + " --eval.max_new_tokens 8"));
  ASSERT_TRUE(ok(eval));
  const std::string trimmed = eval.out.substr(0, eval.out.find_last_not_of('\n') + 1);
  const std::string last_line = trimmed.substr(trimmed.rfind('\n') + 1);
  const auto summary = nlohmann::json::parse(last_line);
  // The evaluation record's names (io/run_contract.h), as in run.h5.
  for (const char* key : {"mean_quality", "acc_grm", "acc_grm_own", "win_rate_vs_m1", "acc_irm",
                          "exact_share", "agree_share", "acc_agree"}) {
    ASSERT_TRUE(summary.contains(key)) << key;
    EXPECT_GE(summary[key].get<double>(), 0.0) << key;
    EXPECT_LE(summary[key].get<double>(), 1.0) << key;
  }
  int families = 0;
  for (const auto& [key, value] : summary.items()) families += key.rfind("quality_", 0) == 0;
  EXPECT_EQ(families, 5);
  EXPECT_NE(eval.out.find("judge accuracy: held-out pairs"), std::string::npos);
  // eval takes --dtype as the other model commands do.
  const CommandResult bf16 =
      run_command(mpi("eval --model " + (root / "m1").string() + " --world-data " + data +
                      " --eval.max_new_tokens 8 --dtype bfloat16"));
  ASSERT_TRUE(ok(bf16));
  EXPECT_NE(bf16.out.find("\"mean_quality\""), std::string::npos) << bf16.out;
  const CommandResult float64 = run_command(scir_hpc("eval --model " + (root / "m1").string() +
                                                     " --world-data " + data + " --dtype float64"));
  EXPECT_EQ(float64.exit_code, 2);
  EXPECT_EQ(float64.out,
            "scir_hpc: error: option '--dtype': expected float32, bfloat16 or float16, got "
            "'float64'\n");
}

TEST(WorldCli, BadTrainingInputExitsTwoNamingIt) {
  const fs::path root = fs::path(scratch_path("scir_world_cli_bad"));
  fs::remove_all(root);
  fs::create_directories(root);
  ASSERT_EQ(run_command(scir_hpc("init --out " + (root / "init").string() +
                                 " --model.hidden_size 16 "
                                 "--model.intermediate_size 32"))
                .exit_code,
            0);
  const std::string bad = (root / "bad.jsonl").string();
  std::ofstream(bad) << "{\"prompt\": \"sort: 2 1\", \"response\": \"1 2\"}\n{\"prompt\": \"x\"}\n";
  const CommandResult missing =
      run_command(scir_hpc("sft --model " + (root / "init").string() + " --data " + bad +
                           " --out " + (root / "out").string()));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.out, "scir_hpc: error: " + bad + ":2: missing field 'response'\n");
  EXPECT_FALSE(fs::exists(root / "out"));
  const std::string good = (root / "good.jsonl").string();
  std::ofstream(good) << "{\"prompt\": \"sort: 2 1\", \"response\": \"1 2\"}\n";
  const CommandResult uneven =
      run_command(mpi("pretrain --model " + (root / "init").string() + " --data " + good +
                      " --out " + (root / "out").string() + " --train.batch_size 7"));
  EXPECT_EQ(uneven.exit_code, 2);
  EXPECT_NE(
      uneven.out.find("option '--train.batch_size': expected a multiple of the 2 ranks, got '7'"),
      std::string::npos)
      << uneven.out;
  const CommandResult template_error = run_command(
      scir_hpc("world --out " + (root / "w").string() + " --judge.pairwise_template " + bad));
  EXPECT_EQ(template_error.exit_code, 2);
  EXPECT_EQ(template_error.out,
            "scir_hpc: error: " + bad + ": judge template lacks the placeholder {instruction}\n");
  // The world's knobs: each refused by its option, in one line, before anything is written.
  const std::pair<std::string, std::string> knobs[] = {
      {"--world.families sort,median",
       "option '--world.families': expected some of sort, unique, evens, reverse, max, pairsum, "
       "got the family "
       "'median'"},
      {"--world.min_length 5 --world.max_length 2",
       "option '--world.max_length': expected an integer >= world.min_length (5), got '2'"},
      {"--world.max_value 1000",
       "option '--world.max_value': expected an integer in [1, 999], "
       "got '1000'"}};
  for (const auto& [options, message] : knobs) {
    const CommandResult refused =
        run_command(scir_hpc("world --out " + (root / "knobs").string() + " " + options));
    EXPECT_EQ(refused.exit_code, 2) << options;
    EXPECT_EQ(refused.out, "scir_hpc: error: " + message + "\n") << options;
    EXPECT_FALSE(fs::exists(root / "knobs")) << options;
  }
}

// ZeRO-1 on 2 ranks: the same trained weights as unsharded AdamW, and half the optimiser state
// a rank (as main.log reports it: 35,168 parameters x 2 moments x 4 bytes = 0.268 MB).
// A fresh ROOT with a small world in ROOT/data and a model of width 32 in ROOT/init.
bool small_world_and_model(const fs::path& root, const std::string& model_options) {
  fs::remove_all(root);
  const CommandResult world =
      run_command(scir_hpc("world --out " + (root / "data").string() +
                           " --data.corpus 100 --data.ift 20 --data.eft_pairs 10 --data.pool 4 "
                           "--data.eval_prompts 4 --data.heldout_pairs 4"));
  const CommandResult init = run_command(scir_hpc("init --out " + (root / "init").string() +
                                                  " --model.hidden_size 32 " + model_options));
  EXPECT_EQ(world.exit_code, 0) << world.out;
  EXPECT_EQ(init.exit_code, 0) << init.out;
  return world.exit_code == 0 && init.exit_code == 0;
}

TEST(WorldCli, ZeroOneTrainsTheSameWeightsWithHalfTheState) {
  const fs::path root = fs::path(scratch_path("scir_world_cli_zero1"));
  const std::string data = (root / "data").string();
  ASSERT_TRUE(small_world_and_model(root, "--model.intermediate_size 64"));
  std::string logs[2];
  for (int zero1 = 0; zero1 < 2; ++zero1) {
    const CommandResult result = run_command(
        mpi("pretrain --model " + (root / "init").string() + " --data " + data +
            "/corpus.jsonl --out " + (root / ("m0_" + std::to_string(zero1))).string() +
            " --train.steps 4 --train.batch_size 8 --train.warmup_steps 1 --train.weight_decay "
            "0.1" +
            (zero1 ? " --train.zero1" : "")));
    ASSERT_EQ(result.exit_code, 0) << result.out;
    logs[zero1] = result.out;
  }
  EXPECT_NE(logs[0].find("0.268 MB of optimiser state a rank (not sharded)"), std::string::npos)
      << logs[0];
  EXPECT_NE(logs[1].find("0.134 MB of optimiser state a rank (ZeRO-1 over 2 ranks)"),
            std::string::npos)
      << logs[1];
  // The weights a rank holds, whole on every rank: 35,168 float32 parameters.
  for (const std::string& log : logs)
    EXPECT_NE(log.find("; weights 0.134 MB (Float); resident "), std::string::npos) << log;
  const scir::LoadedModel plain = scir::load_hf_model((root / "m0_0").string());
  const scir::LoadedModel sharded = scir::load_hf_model((root / "m0_1").string());
  const auto want = plain.model->named_weights();
  double largest = 0;
  for (const auto& [name, weight] : sharded.model->named_weights())
    largest = std::max(largest, (weight - want.at(name)).abs().max().item<double>());
  EXPECT_LT(largest, 1e-5);
}

TEST(WorldCli, TensorParallelPretrainingFollowsOneRank) {
  // pretrain --tp 2 on 2 ranks against 1 rank: the whole model is gathered and written, and the
  // steps follow the same path, clipped by the same (whole-model) gradient norm. Adam divides
  // each gradient by its own size, so the rounding of the near-zero gradients of a fresh model
  // moves a few weights by about 1e-5; 2 data-parallel ranks without tensor parallelism differ
  // from 1 rank by as much (1.1e-5 measured). The library tests check gradients, an SGD step
  // and clipped AdamW steps to 1e-5 or better.
  const fs::path root = fs::path(scratch_path("scir_world_cli_tp"));
  const std::string data = (root / "data").string();
  ASSERT_TRUE(small_world_and_model(root, "--model.intermediate_size 48 --model.vocab_size 260"));
  const std::string common = "pretrain --threads 1 --model " + (root / "init").string() +
                             " --data " + data + "/corpus.jsonl --train.steps 4 " +
                             "--train.batch_size 8 --train.warmup_steps 1 --out ";
  const CommandResult one = run_command(scir_hpc(common + (root / "one").string()));
  ASSERT_EQ(one.exit_code, 0) << one.out;
  const CommandResult two = run_command(mpi(common + (root / "two").string() + " --tp 2"));
  ASSERT_EQ(two.exit_code, 0) << two.out;
  const auto column = [&](const char* name, const char* what) {
    return scir::read_h5_group((root / name / "metrics.h5").string(), "/pretrain/steps")
        .columns.at(what);
  };
  const std::vector<double> loss_one = column("one", "loss"), loss_two = column("two", "loss");
  ASSERT_EQ(loss_two.size(), 4u);
  EXPECT_NEAR(loss_two[0], loss_one[0], 1e-6);
  EXPECT_NEAR(loss_two[1], loss_one[1], 1e-5);
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(loss_two[i], loss_one[i], 1e-4) << i;
  // The norm the steps were clipped by (above grad_clip 1 here): the whole model's, not a slice's.
  const std::vector<double> norm_one = column("one", "grad_norm");
  const std::vector<double> norm_two = column("two", "grad_norm");
  ASSERT_EQ(norm_two.size(), 4u);
  EXPECT_GT(norm_one[0], 1.0);
  for (size_t i = 0; i < 4; ++i) EXPECT_NEAR(norm_two[i], norm_one[i], 1e-5 * norm_one[i]) << i;
  const scir::LoadedModel a = scir::load_hf_model((root / "one").string());
  const scir::LoadedModel b = scir::load_hf_model((root / "two").string());
  const scir::LoadedModel start = scir::load_hf_model((root / "init").string());
  const auto want = a.model->named_weights(), initial = start.model->named_weights();
  double largest = 0, moved = 0;
  for (const auto& [name, weight] : b.model->named_weights()) {
    largest = std::max(largest, (weight - want.at(name)).abs().max().item<double>());
    moved = std::max(moved, (want.at(name) - initial.at(name)).abs().max().item<double>());
  }
  EXPECT_LT(largest, 5e-5);
  EXPECT_GT(moved, 5e-3);  // the comparison is not between untouched weights
}

}  // namespace
