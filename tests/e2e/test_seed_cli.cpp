// scir_hpc seed on 2 ranks: the run directory, run.h5, and skipping finished phases.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "cli_runner.h"
#include "scir/io/h5_group.h"

namespace {

namespace fs = std::filesystem;

TEST(SeedCli, TinyRunWritesRunDirectoryAndSkipsFinishedPhasesOnRerun) {
  const fs::path run = fs::path(::testing::TempDir()) / "scir_seed_cli";
  fs::remove_all(run);
  const std::string command =
      std::string(SCIR_MPIEXEC) + " " +
      scir_hpc("seed --config " + std::string(SCIR_SOURCE_DIR) + "/jobs/configs/demo.ini --out " +
               run.string() +
               " --data.corpus 120 --data.ift 40 --data.eft_pairs 40 --data.pool 8 "
               "--data.eval_prompts 10 --data.heldout_pairs 16 --model.hidden_size 32 "
               "--model.intermediate_size 64 --model.num_hidden_layers 1 --pretrain.steps 6 "
               "--pretrain.batch_size 8 --pretrain.warmup_steps 1 --sft.steps 6 --sft.batch_size 8 "
               "--sft.warmup_steps 1 --eval.max_new_tokens 8");
  const CommandResult first = run_command(command);
  ASSERT_EQ(first.exit_code, 0) << first.out;
  for (const char* path :
       {"config.ini", "main.log", "run.h5", "data/corpus.jsonl", "data/pool_2.jsonl",
        "ckpt/m0/model.safetensors", "ckpt/m1/model.safetensors"}) {
    EXPECT_TRUE(fs::exists(run / path)) << path;
  }
  const std::string h5 = (run / "run.h5").string();
  for (const char* phase : {"/pretrain/steps", "/sft/steps"}) {
    const scir::H5Group steps = scir::read_h5_group(h5, phase);
    ASSERT_EQ(steps.columns.at("loss").size(), 6u) << phase;
    for (double loss : steps.columns.at("loss")) EXPECT_TRUE(std::isfinite(loss)) << phase;
  }
  const scir::H5Group eval = scir::read_h5_group(h5, "/sft/eval");
  EXPECT_EQ(eval.numbers.at("win_rate_vs_m1"), 0.5);
  for (const char* key : {"mean_quality", "acc_grm", "acc_grm_own", "acc_irm", "exact_share"}) {
    ASSERT_TRUE(eval.numbers.count(key)) << key;
    EXPECT_GE(eval.numbers.at(key), 0.0) << key;
    EXPECT_LE(eval.numbers.at(key), 1.0) << key;
  }
  const auto m1_time = fs::last_write_time(run / "ckpt/m1/model.safetensors");
  const CommandResult second = run_command(command);
  ASSERT_EQ(second.exit_code, 0) << second.out;
  EXPECT_NE(second.out.find("[pretrain] done already"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("[sft] done already"), std::string::npos) << second.out;
  EXPECT_EQ(fs::last_write_time(run / "ckpt/m1/model.safetensors"), m1_time);
}

}  // namespace
