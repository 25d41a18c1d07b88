// scir_hpc run on 2 ranks: the run directory, the run.h5 contract, skipping finished phases,
// and bad options refused before any work.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "cli_runner.h"
#include "run_phases.h"
#include "scir/core/errors.h"
#include "scir/eval/evaluation_record.h"
#include "scir/io/h5_group.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/io/jsonl.h"
#include "scir/io/run_contract.h"
#include "scir/io/safetensors.h"
#include "scir/pipeline/iteration_summary.h"

namespace {

namespace fs = std::filesystem;

TEST(RunCli, TinyRunWritesTheContractAndSkipsFinishedPhasesOnRerun) {
  const fs::path run = fs::path(scratch_path("scir_seed_cli"));
  fs::remove_all(run);
  const std::string command =
      std::string(SCIR_MPIEXEC) + " " +
      scir_hpc(
          "run --out " + run.string() +
          " --judge_sft.steps 0 --data.corpus 120 --data.ift 40 --data.eft_pairs 40 --data.pool 8 "
          "--data.eval_prompts 10 --data.heldout_pairs 16 --model.hidden_size 32 "
          "--model.intermediate_size 64 --model.num_hidden_layers 1 --pretrain.steps 6 "
          "--pretrain.batch_size 8 --pretrain.warmup_steps 1 --sft.steps 6 --sft.batch_size 8 "
          "--sft.warmup_steps 1 --eval.max_new_tokens 8 --scir.iterations 1 --scir.batch_pairs 4 "
          "--scir.max_new_tokens 8 --scir.log_every 1 --scir.pairs_per_prompt 1 "
          // small buckets (several a step), and every step checks that the replicas agree
          "--sft.bucket_mb 0.01 --sft.check_replicas --scir.bucket_mb 0.01 "
          "--scir.check_replicas");
  const CommandResult first = run_command(command);
  ASSERT_EQ(first.exit_code, 0) << first.out;
  for (const char* path :
       {"config.ini", "main.log", "run.h5", ".done/run", "data/corpus.jsonl", "data/pool_2.jsonl",
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
  EXPECT_EQ(eval.numbers.at("win_rate_ci95"), 0.0);
  for (const char* key : {"mean_quality", "acc_grm", "acc_grm_own", "acc_irm", "exact_share"}) {
    ASSERT_TRUE(eval.numbers.count(key)) << key;
    EXPECT_GE(eval.numbers.at(key), 0.0) << key;
    EXPECT_LE(eval.numbers.at(key), 1.0) << key;
  }
  // Iteration 1: one row a pair in every column, pairs from both ranks, finite steps.
  const scir::H5Group pairs = scir::read_h5_group(h5, "/iter_1/pairs");
  const size_t rows = pairs.columns.at("prompt_id").size();
  ASSERT_GT(rows, 0u);
  for (const char* name : {"prompt_id", "rank", "logp_ref1", "logp_ref2", "p_grm0", "p_irm0",
                           "oracle_q1", "oracle_q2", "kept_last", "label_last", "step_consumed"}) {
    ASSERT_EQ(pairs.columns.at(name).size(), rows) << name;
  }
  // The responses themselves: text and tokens (bytes + EOS), as long as the length columns say.
  for (const char* side : {"1", "2"}) {
    const auto& texts = pairs.text_columns.at(std::string("resp") + side + "_text");
    const auto& tokens = pairs.token_columns.at(std::string("resp") + side + "_tokens");
    const auto& lengths = pairs.columns.at(std::string("resp") + side + "_length");
    ASSERT_EQ(texts.size(), rows);
    ASSERT_EQ(tokens.size(), rows);
    for (size_t i = 0; i < rows; ++i) {
      EXPECT_EQ(static_cast<double>(tokens[i].size()), lengths[i]);
      // ASCII responses read back byte for byte; others carry U+FFFD where bytes are not UTF-8.
      std::string decoded;
      bool ascii = true;
      for (int32_t id : tokens[i]) {
        if (id < 256) decoded.push_back(static_cast<char>(id));
        ascii = ascii && (id < 128 || id == 257);  // 257: EOS
      }
      if (ascii) {
        EXPECT_EQ(decoded, texts[i]);
      }
    }
  }
  // Distinct responses (as tokens: two texts may differ only in bytes that read as U+FFFD).
  for (size_t i = 0; i < rows; ++i) {
    EXPECT_NE(pairs.token_columns.at("resp1_tokens")[i], pairs.token_columns.at("resp2_tokens")[i]);
  }
  // pairs_per_prompt 1: no prompt contributes two pairs.
  const std::vector<double>& prompt_ids = pairs.columns.at("prompt_id");
  EXPECT_EQ(std::set<double>(prompt_ids.begin(), prompt_ids.end()).size(), rows);
  std::set<double> ranks(pairs.columns.at("rank").begin(), pairs.columns.at("rank").end());
  EXPECT_EQ(ranks, (std::set<double>{0, 1}));
  for (size_t i = 0; i < rows; ++i) {
    EXPECT_LT(pairs.columns.at("logp_ref1")[i], 0.0);
    EXPECT_GE(pairs.columns.at("oracle_q1")[i], 0.0);
    EXPECT_LE(pairs.columns.at("oracle_q1")[i], 1.0);
  }
  const scir::H5Group steps = scir::read_h5_group(h5, "/iter_1/steps");
  ASSERT_FALSE(steps.columns.at("loss").empty());
  for (const char* name :
       {"loss", "loss_dpo", "loss_sym", "loss_ent", "consistency_rate", "kept_share", "cons_share",
        "margin", "logp_chosen", "logp_rejected", "grad_norm", "lr", "tokens_per_s"}) {
    ASSERT_EQ(steps.columns.at(name).size(), steps.columns.at("loss").size()) << name;
    for (double value : steps.columns.at(name)) EXPECT_TRUE(std::isfinite(value)) << name;
  }
  // No confidence gate: every pair of SCIR's steps is in the consistency loss.
  for (double share : steps.columns.at("cons_share")) EXPECT_EQ(share, 1.0);
  const scir::H5Group iteration_eval = scir::read_h5_group(h5, "/iter_1/eval");
  for (const char* key : {"win_rate_vs_m1", "mean_quality", "acc_grm", "acc_irm", "acc_agree",
                          "agree_share", "ece_grm", "ece_irm"}) {
    ASSERT_TRUE(iteration_eval.numbers.count(key)) << key;
    EXPECT_GE(iteration_eval.numbers.at(key), 0.0) << key;
    EXPECT_LE(iteration_eval.numbers.at(key), 1.0) << key;
  }
  EXPECT_TRUE(fs::exists(run / "ckpt/iter_1/final/model.safetensors"));
  EXPECT_NE(first.out.find("summary (scir)"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("\nM2 "), std::string::npos) << first.out;
  // The interval is recorded, and the verdict line prints it.
  const double ci95 = iteration_eval.numbers.at("win_rate_ci95");
  EXPECT_GE(ci95, 0.0);
  EXPECT_LT(ci95, 1.0);
  scir::IterationSummary m2;
  m2.iteration = 1;
  m2.eval = scir::evaluation_from_record(iteration_eval.numbers);
  EXPECT_NE(first.out.find(scir::summary_verdict(scir::evaluation_from_record(eval.numbers), m2)),
            std::string::npos)
      << first.out;

  const scir::H5Group provenance = scir::read_h5_group(h5, "/provenance");
  EXPECT_EQ(provenance.numbers.at("ranks"), 2.0);
  // The commit is the source tree's at this build, not at the last time CMake configured.
  const std::string git = "git -C " + std::string(SCIR_SOURCE_DIR);
  const CommandResult head = run_command(git + " rev-parse --short=12 HEAD");
  if (head.exit_code == 0) {
    const bool changed = !run_command(git + " status --porcelain --untracked-files=no").out.empty();
    EXPECT_EQ(provenance.texts.at("git_sha"),
              head.out.substr(0, head.out.find('\n')) + (changed ? "-dirty" : ""));
  } else {
    EXPECT_EQ(provenance.texts.at("git_sha"), "unknown");
  }
  EXPECT_NO_THROW(scir::read_h5_group(h5, "/config"));
  const auto m1_time = fs::last_write_time(run / "ckpt/m1/model.safetensors");
  const CommandResult second = run_command(command);
  ASSERT_EQ(second.exit_code, 0) << second.out;
  EXPECT_NE(second.out.find("[pretrain] done already"), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("[sft] done already"), std::string::npos) << second.out;
  EXPECT_EQ(fs::last_write_time(run / "ckpt/m1/model.safetensors"), m1_time);
  EXPECT_NE(second.out.find("[iter_1] done already"), std::string::npos) << second.out;
}

TEST(RunCli, FewerPairsThanRanksSkipsTrainingWithoutHanging) {
  const fs::path run = fs::path(scratch_path("scir_run_cli_few"));
  fs::remove_all(run);
  // One prompt, two samples: at most one pair for two ranks.
  const CommandResult result = run_command(
      std::string(SCIR_MPIEXEC) + " " +
      scir_hpc(
          "run --out " + run.string() +
          " --judge_sft.steps 0 --data.corpus 60 --data.ift 20 --data.eft_pairs 20 --data.pool 1 "
          "--data.eval_prompts 4 "
          "--data.heldout_pairs 6 --model.hidden_size 16 --model.num_attention_heads 4 "
          "--model.num_key_value_heads 2 --model.intermediate_size 32 "
          "--model.num_hidden_layers 1 --pretrain.steps 2 --pretrain.batch_size 4 "
          "--pretrain.warmup_steps 1 --sft.steps 2 --sft.batch_size 4 --sft.warmup_steps 1 "
          "--eval.max_new_tokens 4 --scir.iterations 1 --scir.samples 2 --scir.max_new_tokens 4"));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  const scir::H5Group pairs = scir::read_h5_group((run / "run.h5").string(), "/iter_1/pairs");
  EXPECT_LE(pairs.columns.at("prompt_id").size(), 1u);
  const scir::H5Group steps = scir::read_h5_group((run / "run.h5").string(), "/iter_1/steps");
  // Every column of the contract, none with a row.
  ASSERT_EQ(steps.columns.size(), std::size(scir::run_contract::kStepColumns));
  for (const auto& [name, values] : steps.columns) EXPECT_TRUE(values.empty()) << name;
  EXPECT_TRUE(fs::exists(run / "ckpt/iter_1/final/model.safetensors"));
}

// Two epochs: twice the steps of one, and every pair's last use falls in the second epoch.
TEST(RunCli, EpochsRepeatEveryPair) {
  const fs::path run = fs::path(scratch_path("scir_run_cli_epochs"));
  fs::remove_all(run);
  const CommandResult result = run_command(
      std::string(SCIR_MPIEXEC) + " " +
      scir_hpc("run --out " + run.string() +
               " --judge_sft.steps 0 --data.corpus 60 --data.ift 20 --data.eft_pairs 20 "
               "--data.pool 6 --data.eval_prompts 4 "
               "--data.heldout_pairs 6 --model.hidden_size 16 --model.num_attention_heads 4 "
               "--model.num_key_value_heads 2 --model.intermediate_size 32 "
               "--model.num_hidden_layers 1 --pretrain.steps 2 --pretrain.batch_size 4 "
               "--pretrain.warmup_steps 1 --sft.steps 2 --sft.batch_size 4 --sft.warmup_steps 1 "
               "--eval.max_new_tokens 4 --scir.iterations 1 --scir.epochs 2 --scir.batch_pairs 4 "
               "--scir.max_new_tokens 6"));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  const std::string h5 = (run / "run.h5").string();
  const scir::H5Group pairs = scir::read_h5_group(h5, "/iter_1/pairs");
  const scir::H5Group steps = scir::read_h5_group(h5, "/iter_1/steps");
  const size_t rows = pairs.columns.at("prompt_id").size();
  ASSERT_GE(rows, 2u);
  // Pairs are spread evenly: the fuller rank holds ceil(rows / 2), 2 a step.
  const size_t per_epoch = ((rows + 1) / 2 + 1) / 2;
  ASSERT_EQ(steps.columns.at("step").size(), 2 * per_epoch);
  for (double consumed : pairs.columns.at("step_consumed")) {
    EXPECT_GE(consumed, static_cast<double>(per_epoch));
    EXPECT_LT(consumed, static_cast<double>(2 * per_epoch));
  }
}

TEST(RunCli, PointwiseJudgeForScirAndSrlmBestVersusWorst) {
  for (const char* method : {"scir", "srlm"}) {
    const fs::path run = fs::path(scratch_path(std::string("scir_run_cli_pointwise_") + method));
    fs::remove_all(run);
    const CommandResult result = run_command(
        std::string(SCIR_MPIEXEC) + " " +
        scir_hpc(
            "run --out " + run.string() + " --judge_sft.steps 0 --scir.method " + method +
            " --scir.grm pointwise --data.eft_pointwise 30 --data.corpus 60 --data.ift 20 "
            "--data.eft_pairs 20 --data.pool 6 --data.eval_prompts 4 --data.heldout_pairs 6 "
            "--model.hidden_size 16 --model.num_attention_heads 4 --model.num_key_value_heads 2 "
            "--model.intermediate_size 32 --model.num_hidden_layers 1 "
            "--pretrain.steps 2 --pretrain.batch_size 4 --pretrain.warmup_steps 1 --sft.steps 2 "
            "--sft.batch_size 4 --sft.warmup_steps 1 --eval.max_new_tokens 4 --scir.iterations 1 "
            "--scir.batch_pairs 4 --scir.max_new_tokens 6"));
    ASSERT_EQ(result.exit_code, 0) << method << "\n" << result.out;
    const scir::H5Group pairs = scir::read_h5_group((run / "run.h5").string(), "/iter_1/pairs");
    const std::vector<double>& prompt_ids = pairs.columns.at("prompt_id");
    if (std::string(method) == "srlm") {
      // Best against worst: at most one pair a prompt, labelled before training.
      EXPECT_EQ(std::set<double>(prompt_ids.begin(), prompt_ids.end()).size(), prompt_ids.size());
      EXPECT_LE(prompt_ids.size(), 6u);
    }
    for (double p : pairs.columns.at("p_grm0")) {
      EXPECT_GT(p, 0.0);
      EXPECT_LT(p, 1.0);
    }
    // SRLM's DPO reference is M1 itself, so P_I before training is 1/2 on every pair and the
    // record says the implicit reward's fields were not measured (NaN) instead of 0.5 and 0.
    const scir::H5Group eval = scir::read_h5_group((run / "run.h5").string(), "/iter_1/eval");
    for (const char* field :
         {"agreement_start", "acc_irm0_pairs", "agree0_share_pairs", "acc_agree0_pairs"}) {
      if (std::string(method) == "srlm") {
        EXPECT_TRUE(std::isnan(eval.numbers.at(field))) << field;
      } else if (std::string(field) == "agreement_start") {  // the others need unequal pairs
        EXPECT_GE(eval.numbers.at(field), 0.0) << field;
        EXPECT_LE(eval.numbers.at(field), 1.0) << field;
      }
    }
    if (std::string(method) == "srlm") {
      for (double p : pairs.columns.at("p_irm0")) EXPECT_EQ(p, 0.5);
    }
  }
}

// The oracle's best-scored sample against its worst, and against every worse one: the same
// samples (same seed), so each prompt's best_vs_worst pair is the lowest-scored of its
// best_vs_rest pairs, and those share the chosen response and never repeat a rejected text.
TEST(RunCli, OraclePairsTheBestSampleAgainstTheWorstOrEveryWorseOne) {
  std::map<std::string, std::map<double, std::vector<std::pair<std::string, double>>>> by_prompt;
  std::map<std::string, std::map<double, std::string>> chosen;
  for (const char* pairs : {"best_vs_worst", "best_vs_rest"}) {
    const fs::path run = fs::path(scratch_path(std::string("scir_run_cli_oracle_") + pairs));
    fs::remove_all(run);
    const CommandResult result = run_command(
        std::string(SCIR_MPIEXEC) + " " +
        scir_hpc("run --out " + run.string() + " --scir.method oracle --scir.oracle_pairs " +
                 pairs +
                 " --judge_sft.steps 0 --data.corpus 200 --data.ift 40 --data.eft_pairs 20 "
                 "--data.pool 12 --data.eval_prompts 4 --data.heldout_pairs 6 "
                 "--model.hidden_size 16 --model.num_attention_heads 4 "
                 "--model.num_key_value_heads 2 --model.intermediate_size 32 "
                 "--model.num_hidden_layers 1 --pretrain.steps 60 --pretrain.batch_size 8 "
                 "--pretrain.warmup_steps 1 --sft.steps 20 --sft.batch_size 8 "
                 "--sft.warmup_steps 1 --eval.max_new_tokens 4 --scir.iterations 1 "
                 "--scir.samples 6 --scir.batch_pairs 4 --scir.max_new_tokens 8"));
    ASSERT_EQ(result.exit_code, 0) << pairs << "\n" << result.out;
    const scir::H5Group group = scir::read_h5_group((run / "run.h5").string(), "/iter_1/pairs");
    const std::vector<double>& prompt_ids = group.columns.at("prompt_id");
    for (size_t i = 0; i < prompt_ids.size(); ++i) {
      const double q1 = group.columns.at("oracle_q1")[i], q2 = group.columns.at("oracle_q2")[i];
      EXPECT_GT(q1, q2) << pairs << " pair " << i;
      EXPECT_EQ(group.columns.at("label_last")[i], 1.0) << pairs << " pair " << i;
      const std::string& first = group.text_columns.at("resp1_text")[i];
      const auto [known, fresh] = chosen[pairs].emplace(prompt_ids[i], first);
      EXPECT_TRUE(fresh || known->second == first) << pairs << ": one chosen response a prompt";
      by_prompt[pairs][prompt_ids[i]].push_back({group.text_columns.at("resp2_text")[i], q2});
    }
  }
  const auto& worst = by_prompt["best_vs_worst"];
  const auto& rest = by_prompt["best_vs_rest"];
  ASSERT_FALSE(worst.empty());
  EXPECT_EQ(worst.size(), rest.size());
  size_t more_than_one = 0;
  for (const auto& [prompt, rejected] : worst) {
    ASSERT_EQ(rejected.size(), 1u) << "prompt " << prompt;
    ASSERT_TRUE(rest.count(prompt)) << "prompt " << prompt;
    const auto& others = rest.at(prompt);
    more_than_one += others.size() > 1 ? 1 : 0;
    EXPECT_EQ(chosen["best_vs_worst"][prompt], chosen["best_vs_rest"][prompt]);
    std::set<std::string> texts;
    double lowest = 1.0;
    for (const auto& [text, q] : others) {
      EXPECT_TRUE(texts.insert(text).second) << "prompt " << prompt << " repeats " << text;
      lowest = std::min(lowest, q);
    }
    EXPECT_EQ(rejected[0].second, lowest) << "prompt " << prompt;
    EXPECT_TRUE(texts.count(rejected[0].first)) << "prompt " << prompt;
  }
  EXPECT_GT(more_than_one, 0u);  // the two constructions differ somewhere
}

TEST(RunCli, JudgeStageTrainsTheSftModelOnPairsOfItsOwnSamples) {
  const fs::path run = fs::path(scratch_path("scir_run_cli_judge_sft"));
  fs::remove_all(run);
  const CommandResult result = run_command(
      std::string(SCIR_MPIEXEC) + " " +
      scir_hpc("run --out " + run.string() +
               " --data.judge_prompts 24 --judge_sft.steps 3 --judge_sft.batch_size 4 "
               "--judge_sft.warmup_steps 1 --judge_sft.samples 4 --data.corpus 200 --data.ift 60 "
               "--data.eft_pairs 20 --data.pool 6 --data.eval_prompts 4 --data.heldout_pairs 6 "
               "--model.hidden_size 32 --model.intermediate_size 64 --model.num_hidden_layers 1 "
               "--pretrain.steps 40 --pretrain.batch_size 8 --pretrain.warmup_steps 1 "
               "--pretrain.lr 0.01 --sft.steps 2 --sft.batch_size 4 --sft.warmup_steps 1 "
               "--eval.max_new_tokens 6 --scir.iterations 0"));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  EXPECT_EQ(scir::read_jsonl((run / "data/judge_prompts.jsonl").string()).size(), 24u);
  // After 40 steps of pretraining the model writes numbers, some closer to right than others:
  // pairs to learn from.
  const auto own = scir::read_jsonl((run / "data/eft_own.jsonl").string());
  ASSERT_GT(own.size(), 0u) << result.out;
  EXPECT_EQ(own.size() % 2, 0u);
  EXPECT_NE(result.out.find(scir::cat("[eft_own] ", own.size() / 2, " pairs")), std::string::npos)
      << result.out;
  const std::string h5 = (run / "run.h5").string();
  EXPECT_EQ(scir::read_h5_group(h5, "/judge_sft/steps").columns.at("loss").size(), 3u);
  EXPECT_EQ(scir::read_h5_group(h5, "/sft/steps").columns.at("loss").size(), 2u);
  // M1 is the SFT model (m1_base) trained further.
  const auto base = scir::load_hf_model((run / "ckpt/m1_base").string()).model->named_weights();
  const auto m1 = scir::load_hf_model((run / "ckpt/m1").string()).model->named_weights();
  double moved = 0;
  for (const auto& [name, weight] : m1) {
    moved = std::max(moved, (weight - base.at(name)).abs().max().item<double>());
  }
  EXPECT_GT(moved, 1e-4);
  EXPECT_TRUE(fs::exists(run / ".done/sft_eval"));
}

TEST(RunCli, WithoutOptionsItRunsTheDemoConfiguration) {
  const CommandResult dump = run_command(scir_hpc("run --dump-config"));
  ASSERT_EQ(dump.exit_code, 0) << dump.out;
  EXPECT_NE(dump.out.find("out = runs/demo\n"), std::string::npos) << dump.out;
  // The verification-gap world (docs/RESULTS.md, "A world with a verification gap").
  EXPECT_NE(dump.out.find("[world]\nfamilies = pairsum\n"), std::string::npos) << dump.out;
  EXPECT_NE(dump.out.find("\nmax_value = 4\n"), std::string::npos) << dump.out;
  EXPECT_NE(dump.out.find("[scir]\nmethod = scir\niterations = 2\n"), std::string::npos)
      << dump.out;
  // The training recipe chosen with oracle labels (docs/RESULTS.md, "Headroom"), and the weaker
  // M1 that leaves it room.
  for (const char* line : {"\nift = 300\n", "\nbeta = 0.3\n", "\nsamples = 8\n", "\nepochs = 2\n",
                           "\nnll_weight = 1.0\n", "\nlr = 0.0003\n"}) {
    EXPECT_NE(dump.out.find(line), std::string::npos) << line << dump.out;
  }
  // The judge stage is on: M1 also learns from pairs of the SFT model's own samples.
  EXPECT_NE(dump.out.find("[judge_sft]\nsteps = 1200\n"), std::string::npos) << dump.out;
  EXPECT_NE(dump.out.find("judge_prompts = 2000\n"), std::string::npos) << dump.out;
}

TEST(RunCli, OptionsOutOfRangeAreRefusedBeforeAnyWork) {
  const fs::path run = fs::path(scratch_path("scir_run_cli_bad"));
  fs::remove_all(run);
  const std::pair<const char*, const char*> cases[] = {
      {"--scir.beta 0", "option '--scir.beta': expected a number > 0, got '0'"},
      {"--dtype float64", "option '--dtype': expected float32, bfloat16 or float16, got 'float64'"},
      {"--scir.delta -0.1",
       "option '--scir.delta': expected a number in [0, 0.5) (at 0.5 no pair can be kept), got "
       "'-0.1'"},
      {"--scir.delta 0.5",
       "option '--scir.delta': expected a number in [0, 0.5) (at 0.5 no pair can be kept), got "
       "'0.5'"},
      {"--scir.samples 3 --scir.pairs_per_prompt 4",
       "option '--scir.pairs_per_prompt': expected at most the 3 distinct pairs of scir.samples = "
       "3 (0: all of them), got '4'"},
      {"--scir.label_smoothing 0.2",
       "option '--scir.label_smoothing': expected no value unless scir.dpo_loss = robust, got "
       "'0.2'"},
      {"--scir.oracle_pairs best_vs_rest",
       "option '--scir.oracle_pairs': expected no value unless scir.method = oracle, got "
       "'best_vs_rest'"},
      {"--scir.method oracle --scir.oracle_pairs best_vs_worst --scir.pairs_per_prompt 3",
       "option '--scir.pairs_per_prompt': expected 0 (all) unless scir.oracle_pairs = all, got "
       "'3'"},
      {"--scir.method srlm --scir.grm pointwise --scir.pairs_per_prompt 3",
       "option '--scir.pairs_per_prompt': expected 0 (all) when SRLM scores pointwise (its one "
       "pair a prompt is the best against the worst), got '3'"},
      {"--scir.method srlm --srlm.judge sampled --scir.pairs_per_prompt 3",
       "option '--scir.pairs_per_prompt': expected 0 (all) when SRLM scores pointwise (its one "
       "pair a prompt is the best against the worst), got '3'"},
      {"--scir.method oracle --scir.oracle_pairs best",
       "option '--scir.oracle_pairs': expected all, best_vs_worst or best_vs_rest, got 'best'"},
      {"--scir.tau 2",
       "option '--scir.tau': expected no value unless scir.grm = pointwise, got '2'"},
      {"--eval.beta 0.2",
       "option '--eval.beta': expected no value in run (the implicit reward evaluated uses "
       "scir.beta), got '0.2'"},
      {"--scir.gamma -1", "option '--scir.gamma': expected a number >= 0, got '-1'"},
      {"--scir.lambda -2", "option '--scir.lambda': expected a number >= 0, got '-2'"},
      {"--scir.samples 1", "option '--scir.samples': expected an integer in [2, 16], got '1'"},
      {"--judge_sft.steps 3 --data.judge_prompts 0",
       "option '--data.judge_prompts': expected an integer > 0 when judge_sft.steps > 0, got '0'"},
      {"--judge_sft.steps 3 --data.judge_prompts 10 --judge_sft.samples 1",
       "option '--judge_sft.samples': expected an integer in [2, 64], got '1'"},
      {"--judge_sft.steps -1", "option '--judge_sft.steps': expected an integer >= 0, got '-1'"},
      {"--scir.method dpo",
       "option '--scir.method': expected scir, scir_no_cons, scir_no_select, irm_only, grm_online, "
       "srlm or oracle, got 'dpo'"},
      // Options that do not apply to the run are refused, not ignored.
      {"--srlm.judge sampled",
       "option '--srlm.judge': expected no value unless scir.method = srlm, got 'sampled'"},
      {"--scir.method oracle --srlm.score_regex 'S: (.)'",
       "option '--srlm.score_regex': expected no value unless scir.method = srlm, got 'S: (.)'"},
      {"--scir.method srlm --srlm.judge_samples 3",
       "option '--srlm.judge_samples': expected no value unless srlm.judge = sampled, got '3'"},
      {"--model.m0 /models/base",
       "option '--model.m0': expected no value without model.m1, got '/models/base'"},
      {"--data.prompt_pools a.jsonl",
       "option '--data.prompt_pools': expected no value without model.m1, got 'a.jsonl'"},
      {"--model.adapter lora",
       "option '--model.adapter': expected no value without model.m1, got 'lora'"},
      {"--threads 99999999999",
       "option '--threads': expected an integer in [0, 4096] (0: automatic), got '99999999999'"},
      {"--scir.irm_ref fixed",
       "option '--scir.irm_ref': expected previous, current, first or m1, got 'fixed'"},
      {"--scir.cons_gate 0.5",
       "option '--scir.cons_gate': expected a number in [0, 0.5) (at 0.5 no pair can enter "
       "L_cons), got '0.5'"},
      {"--scir.method srlm --scir.cons_gate 0.1",
       "option '--scir.cons_gate': expected no value unless the method has L_cons (scir, "
       "scir_no_select), got '0.1'"},
      {"--finish.lr 0.1",
       "option '--finish.lr': expected no value unless finish.method = oracle, got '0.1'"},
      {"--finish.method oracle",
       "option '--data.finish_prompts': expected an integer > 0 when finish.method = oracle, got "
       "'0'"},
      {"--finish.method oracle --data.finish_prompts 8 --finish.samples 1",
       "option '--finish.samples': expected an integer in [2, 16], got '1'"},
      {"--finish.method sft", "option '--finish.method': expected none or oracle, got 'sft'"},
      {"--scir.method srlm --scir.cons_stopgrad reliable",
       "option '--scir.cons_stopgrad': expected not reliable unless the method has L_cons (scir, "
       "scir_no_select), got 'reliable'"}};
  for (const auto& [args, message] : cases) {
    const CommandResult result = run_command(scir_hpc("run --out " + run.string() + " " + args));
    EXPECT_EQ(result.exit_code, 2) << args;
    EXPECT_EQ(result.out, std::string("scir_hpc: error: ") + message + "\n") << args;
  }
  EXPECT_FALSE(fs::exists(run));
}

// run --tp 2 on 2 ranks (one model copy cut in two) against run on 1 rank. Training amplifies
// float order: the two runs start a step 3e-9 apart and, 14 steps of pretraining at lr 0.01
// later, 1e-4 apart, as 2 data-parallel ranks drift from 1 rank (measured; the difference grows
// with the steps under every BLAS kernel, at its own rate). So each phase is also run under
// --tp 2 from the one-rank run's own inputs (its run directory with that phase and the later
// ones undone): what tensor parallelism guarantees is that the same inputs give the same
// samples, pairs, scores and evaluations, and the same first step.
TEST(RunCli, TensorParallelRunFollowsOneRank) {
  const fs::path root = fs::path(scratch_path("scir_run_cli_tp"));
  fs::remove_all(root);
  // 40 steps of pretraining: the model writes numbers, so the judge stage gets pairs.
  const std::string options =
      " --threads 1 --judge_sft.steps 4 --judge_sft.batch_size 8 --judge_sft.warmup_steps 1 "
      "--judge_sft.lr 0.0002 --sft.lr 0.0002 "
      "--data.judge_prompts 24 --data.corpus 200 --data.ift 40 --data.eft_pairs 40 "
      "--data.pool 8 --data.eval_prompts 10 --data.heldout_pairs 16 --model.hidden_size 32 "
      "--model.num_attention_heads 4 --model.num_key_value_heads 2 --model.intermediate_size 64 "
      "--model.num_hidden_layers 1 --model.vocab_size 260 "
      "--pretrain.steps 40 --pretrain.batch_size 8 --pretrain.warmup_steps 1 --pretrain.lr 0.01 "
      "--sft.steps 6 --sft.batch_size 8 --sft.warmup_steps 1 --eval.max_new_tokens 8 "
      "--scir.iterations 1 --scir.batch_pairs 4 --scir.max_new_tokens 8";
  const fs::path one = root / "one";
  const CommandResult single = run_command(scir_hpc("run --out " + one.string() + options));
  ASSERT_EQ(single.exit_code, 0) << single.out;
  const std::string h5_one = (one / "run.h5").string();
  // A rerun from `phase` undoes it and the later ones.
  const auto run_tp_from = [&](const std::string& phase) {
    const fs::path dir = root / ("tp_from_" + phase);
    copy_run_undoing(one, dir, phase);
    const CommandResult result = run_command(
        std::string(SCIR_MPIEXEC) + " " + scir_hpc("run --tp 2 --out " + dir.string() + options));
    EXPECT_EQ(result.exit_code, 0) << phase << "\n" << result.out;
    return (dir / "run.h5").string();
  };

  // The whole job under --tp 2 from the start: every phase, the first step from the same
  // initial weights.
  const fs::path two = root / "two";
  const CommandResult tp = run_command(std::string(SCIR_MPIEXEC) + " " +
                                       scir_hpc("run --tp 2 --out " + two.string() + options));
  ASSERT_EQ(tp.exit_code, 0) << tp.out;
  const std::string h5_two = (two / "run.h5").string();
  EXPECT_EQ(scir::read_h5_group(h5_two, "/provenance").numbers.at("tensor_parallel"), 2.0);
  expect_same_first_step(h5_one, h5_two, "/pretrain/steps");
  for (const char* group : {"/sft/steps", "/judge_sft/steps", "/iter_1/steps"}) {
    EXPECT_EQ(scir::read_h5_group(h5_two, group).columns.at("loss").size(),
              scir::read_h5_group(h5_one, group).columns.at("loss").size())
        << group;
  }

  // SFT and the judge stage's training from the same M0 and M1 base.
  expect_same_first_step(h5_one, run_tp_from("sft"), "/sft/steps");
  // The judge stage's samples of the same M1 base became the same pairs.
  const std::string from_eft_own = run_tp_from("eft_own");
  const std::string own_pairs = file_text((one / "data/eft_own.jsonl").string());
  EXPECT_FALSE(own_pairs.empty());
  EXPECT_EQ(file_text((root / "tp_from_eft_own/data/eft_own.jsonl").string()), own_pairs);
  expect_same_first_step(h5_one, from_eft_own, "/judge_sft/steps");

  // M1's evaluation and the iteration from the same M1.
  const std::string from_m1 = run_tp_from("sft_eval");
  {
    const auto a = scir::read_h5_group(h5_one, "/sft/eval").numbers;
    const auto b = scir::read_h5_group(from_m1, "/sft/eval").numbers;
    for (const char* key : {"mean_quality", "acc_grm", "acc_irm"})
      EXPECT_NEAR(b.at(key), a.at(key), 1e-9) << key;
  }
  // The same samples became the same pairs, scored alike before any training.
  const scir::H5Group pairs_one = scir::read_h5_group(h5_one, "/iter_1/pairs");
  const scir::H5Group pairs_two = scir::read_h5_group(from_m1, "/iter_1/pairs");
  ASSERT_GT(pairs_one.text_columns.at("resp1_text").size(), 0u);
  EXPECT_EQ(pairs_two.text_columns.at("resp1_text"), pairs_one.text_columns.at("resp1_text"));
  EXPECT_EQ(pairs_two.text_columns.at("resp2_text"), pairs_one.text_columns.at("resp2_text"));
  EXPECT_EQ(pairs_two.columns.at("prompt_id"), pairs_one.columns.at("prompt_id"));
  EXPECT_EQ(pairs_two.columns.at("oracle_q1"), pairs_one.columns.at("oracle_q1"));
  for (const char* column : {"logp_ref1", "logp_ref2", "p_grm0", "p_irm0"}) {
    const auto& a = pairs_one.columns.at(column);
    const auto& b = pairs_two.columns.at(column);
    ASSERT_EQ(a.size(), b.size()) << column;
    for (size_t i = 0; i < a.size(); ++i)
      EXPECT_NEAR(b[i], a[i], 1e-5 * (1 + std::abs(a[i]))) << column << " " << i;
  }
  expect_same_first_step(h5_one, from_m1, "/iter_1/steps");
  // The final model is written whole, once, with every weight where one rank has it: AdamW
  // moves a weight whose gradient is at rounding level by up to the learning rate (3e-5 here)
  // either way, so some weights differ by a few steps' worth, while a slice gathered wrongly or
  // left out would be off by the weights' own size (about 0.1).
  const scir::LoadedModel a = scir::load_hf_model((one / "ckpt/iter_1/final").string());
  const scir::LoadedModel b =
      scir::load_hf_model((root / "tp_from_sft_eval/ckpt/iter_1/final").string());
  const auto want = a.model->named_weights();
  double largest = 0;
  for (const auto& [name, weight] : b.model->named_weights()) {
    ASSERT_EQ(weight.sizes(), want.at(name).sizes()) << name;
    largest = std::max(largest, (weight - want.at(name)).abs().max().item<double>());
  }
  EXPECT_LT(largest, 1e-3);
}

TEST(RunCli, TensorParallelShapesThatDoNotDivideAreRefusedByName) {
  const fs::path run = fs::path(scratch_path("scir_run_cli_tp_bad"));
  fs::remove_all(run);
  const std::pair<const char*, const char*> cases[] = {
      {"--tp 2", "option '--tp': expected a divisor of the model's vocab_size (259), got '2'"},
      {"--tp 2 --model.num_key_value_heads 1",
       "option '--tp': expected a divisor of the model's num_key_value_heads (1), got '2'"},
      {"--tp 3", "option '--tp': expected a divisor of the 2 ranks, got '3'"}};
  for (const auto& [args, message] : cases) {
    const CommandResult result = run_command(std::string(SCIR_MPIEXEC) + " " +
                                             scir_hpc("run --out " + run.string() + " " + args));
    EXPECT_EQ(result.exit_code, 2) << args;
    EXPECT_NE(result.out.find(std::string("scir_hpc: error: ") + message + "\n"), std::string::npos)
        << args << "\n"
        << result.out;
  }
  EXPECT_FALSE(fs::exists(run));
}

}  // namespace

namespace {

// Two layers, three steps of each seed phase and one SCIR iteration: the runs that compare
// training settings step by step.
const std::string kTwoLayerRun =
    " --judge_sft.steps 0 --data.corpus 60 --data.ift 20 --data.eft_pairs 20 --data.pool 6 "
    "--data.eval_prompts 4 --data.heldout_pairs 6 --model.hidden_size 16 "
    "--model.num_attention_heads 4 --model.num_key_value_heads 2 --model.intermediate_size 32 "
    "--model.num_hidden_layers 2 --pretrain.steps 3 --pretrain.batch_size 4 "
    "--pretrain.warmup_steps 1 --sft.steps 3 --sft.batch_size 4 --sft.warmup_steps 1 "
    "--eval.max_new_tokens 4 --scir.iterations 1 --scir.batch_pairs 4 --scir.max_new_tokens 6 "
    "--scir.samples 4";

// A run directory belongs to one job: a rerun whose options would change a phase already done
// or started is refused by name with both values, exit 2, nothing rewritten; options that
// cannot change results may differ; iteration options are free until an iteration starts.
TEST(RunCli, ARerunThatWouldChangeAStartedPhaseIsRefused) {
  const fs::path run = fs::path(scratch_path("scir_run_cli_rerun"));
  fs::remove_all(run);
  const std::string base = "run --config " + std::string(SCIR_SOURCE_DIR) +
                           "/tests/fixtures/tiny_run.ini --out " + run.string() + " ";
  const CommandResult seeds = run_command(scir_hpc(base + "--scir.iterations 0"));
  ASSERT_EQ(seeds.exit_code, 0) << seeds.out;
  const std::string recorded = file_text((run / "config.ini").string());
  const auto h5_time = fs::last_write_time(run / "run.h5");

  const CommandResult changed = run_command(scir_hpc(base + "--scir.iterations 0 --seed 2"));
  EXPECT_EQ(changed.exit_code, 2);
  EXPECT_EQ(changed.out,
            "scir_hpc: error: option '--seed': 2 differs from 1, the value of the job "
            "whose seed models started in " +
                run.string() + " (" + (run / "config.ini").string() +
                "); rerun with the same value to go on, or start over in a new "
                "--out\n");
  EXPECT_EQ(file_text((run / "config.ini").string()), recorded);  // nothing rewritten
  EXPECT_EQ(fs::last_write_time(run / "run.h5"), h5_time);

  // What cannot change a result may differ; the iterations' options are free before one starts.
  const CommandResult free =
      run_command(scir_hpc(base + "--scir.iterations 0 --threads 2 --comm-timeout 100 "
                                  "--pretrain.log_every 7 --sft.check_replicas --scir.beta 0.3"));
  EXPECT_EQ(free.exit_code, 0) << free.out;
  // One iteration more goes on from the seed models; then its options are fixed too.
  const CommandResult more = run_command(scir_hpc(base + "--scir.beta 0.3"));
  ASSERT_EQ(more.exit_code, 0) << more.out;
  EXPECT_NE(more.out.find("[pretrain] done already"), std::string::npos) << more.out;
  const std::string after_iteration = file_text((run / "config.ini").string());
  const CommandResult beta = run_command(scir_hpc(base + "--scir.beta 0.2"));
  EXPECT_EQ(beta.exit_code, 2);
  EXPECT_EQ(beta.out,
            "scir_hpc: error: option '--scir.beta': 0.2 differs from 0.3, the value of the job "
            "whose iterations started in " +
                run.string() + " (" + (run / "config.ini").string() +
                "); rerun with the same value to go on, or start over in a new --out\n");
  const CommandResult fewer = run_command(scir_hpc(base + "--scir.beta 0.3 --scir.iterations 0"));
  EXPECT_EQ(fewer.exit_code, 2);
  EXPECT_NE(fewer.out.find("option '--scir.iterations': 0 differs from 1"), std::string::npos)
      << fewer.out;
  EXPECT_EQ(file_text((run / "config.ini").string()), after_iteration);
  const CommandResult same = run_command(scir_hpc(base + "--scir.beta 0.3 --threads 2"));
  EXPECT_EQ(same.exit_code, 0) << same.out;
  EXPECT_NE(same.out.find("[iter_1] done already"), std::string::npos) << same.out;
}

// Damaged run state is bad input (exit 2, one line naming the file), never an internal error
// that run.sbatch would retry; an output that cannot be created is named before any work.
TEST(RunCli, DamagedRunStateAndUnwritableOutputsAreExitTwo) {
  const fs::path root = fs::path(scratch_path("scir_run_cli_damaged"));
  fs::remove_all(root);
  const fs::path run = root / "run";
  const std::string base = "run --config " + std::string(SCIR_SOURCE_DIR) +
                           "/tests/fixtures/tiny_run.ini --threads 1 --scir.iterations 0 --out ";
  ASSERT_EQ(run_command(scir_hpc(base + run.string())).exit_code, 0);
  const fs::path h5 = run / "run.h5";
  // DONE markers whose outputs are gone: the phases run again from what is intact.
  const std::string prompts = file_text((run / "data/eval_prompts.jsonl").string());
  fs::remove(run / "data/eval_prompts.jsonl");
  {
    const hid_t file = H5Fopen(h5.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    ASSERT_GE(H5Ldelete(file, "/sft/eval", H5P_DEFAULT), 0);
    H5Fclose(file);
  }
  const CommandResult redone = run_command(scir_hpc(base + run.string()));
  ASSERT_EQ(redone.exit_code, 0) << redone.out;
  EXPECT_NE(redone.out.find("[data] output missing, running the phase again: " +
                            (run / "data/eval_prompts.jsonl").string() + "\n"),
            std::string::npos)
      << redone.out;
  EXPECT_NE(redone.out.find("[sft_eval] output missing, running the phase again: " + h5.string() +
                            " has no group /sft/eval\n"),
            std::string::npos)
      << redone.out;
  EXPECT_NE(redone.out.find("[pretrain] done already"), std::string::npos) << redone.out;
  EXPECT_EQ(file_text((run / "data/eval_prompts.jsonl").string()), prompts);  // deterministic
  EXPECT_NO_THROW(scir::read_h5_group(h5.string(), "/sft/eval"));
  const uintmax_t size = fs::file_size(h5);
  const std::string message =
      "scir_hpc: error: " + h5.string() +
      ": HDF5 cannot open it (truncated, zeroed or not an HDF5 file); start over in a new "
      "directory, or restore the file\n";
  fs::resize_file(h5, 100);
  const CommandResult truncated = run_command(scir_hpc(base + run.string()));
  EXPECT_EQ(truncated.exit_code, 2);
  EXPECT_EQ(truncated.out, message);
  std::ofstream(h5, std::ios::binary | std::ios::trunc) << std::string(size, '\0');
  const CommandResult zeroed = run_command(scir_hpc(base + run.string()));
  EXPECT_EQ(zeroed.exit_code, 2);
  EXPECT_EQ(zeroed.out, message);

  // A run directory that cannot be written: immutable (root ignores permission bits), where the
  // file system supports the flag.
  const fs::path frozen = root / "frozen";
  fs::create_directories(frozen / ".done");
  if (run_command("chattr +i " + (frozen / ".done").string()).exit_code == 0) {
    const CommandResult immutable = run_command(scir_hpc(base + frozen.string()));
    run_command("chattr -i " + (frozen / ".done").string());
    EXPECT_EQ(immutable.exit_code, 2);
    EXPECT_EQ(immutable.out, "scir_hpc: error: " + frozen.string() +
                                 ": the run directory cannot be written (Operation not "
                                 "permitted)\n");
    EXPECT_FALSE(fs::exists(frozen / "config.ini"));
  }
  // An output directory under a regular file, before any work.
  std::ofstream(root / "plain") << "x";
  const CommandResult under_file = run_command(scir_hpc(base + (root / "plain" / "r").string()));
  EXPECT_EQ(under_file.exit_code, 2);
  EXPECT_EQ(under_file.out, "scir_hpc: error: " + (root / "plain" / "r").string() +
                                ": cannot create the run directory (Not a directory)\n");
}

}  // namespace

// Activation checkpointing in every training phase of a run (pretraining, SFT and the SCIR
// step): the same losses, step by step, as without it.
TEST(RunCli, ActivationCheckpointingTrainsAsThePlainBackward) {
  const std::string& tiny = kTwoLayerRun;
  std::vector<std::string> files;
  for (const char* checkpointing : {"false", "true"}) {
    const fs::path run =
        fs::path(scratch_path(std::string("scir_run_cli_checkpointing_") + checkpointing));
    fs::remove_all(run);
    const std::string flag = checkpointing;
    const CommandResult result = run_command(
        std::string(SCIR_MPIEXEC) + " " +
        scir_hpc("run --out " + run.string() + tiny + " --pretrain.activation_checkpointing " +
                 flag + " --sft.activation_checkpointing " + flag +
                 " --scir.activation_checkpointing " + flag));
    ASSERT_EQ(result.exit_code, 0) << result.out;
    files.push_back((run / "run.h5").string());
    for (const char* phase : {"[pretrain]", "[sft]", "[iter_1]"}) {
      EXPECT_EQ(result.out.find(std::string(phase) +
                                " activation checkpointing: layers recomputed in the backward") !=
                    std::string::npos,
                flag == "true")
          << phase << result.out;
    }
  }
  for (const char* group : {"/pretrain/steps", "/sft/steps", "/iter_1/steps"}) {
    const scir::H5Group plain = scir::read_h5_group(files[0], group);
    const scir::H5Group checkpointed = scir::read_h5_group(files[1], group);
    const std::vector<double>& expected = plain.columns.at("loss");
    ASSERT_FALSE(expected.empty()) << group;
    ASSERT_EQ(checkpointed.columns.at("loss").size(), expected.size()) << group;
    for (size_t s = 0; s < expected.size(); ++s) {
      EXPECT_NEAR(checkpointed.columns.at("loss")[s], expected[s], 1e-6 * std::abs(expected[s]))
          << group << " step " << s;
    }
  }
}

// A run in bfloat16 and one in float16 (float32 master weights, ZeRO-1, activation
// checkpointing; float16 with loss scaling) on 2 ranks: every phase finishes, the checkpoints
// are in the run's dtype, and pretraining and SFT follow the float32 run. float16's 11-bit
// significand rounds finer than bfloat16's 8 bits, so the bfloat16 bound below covers it. Bound:
// every stored value rounds to bfloat16 (relative 2^-9), the initial weights included; a logit of
// these two-layer models passes through about 20 roundings, which as independent errors move it by
// ~sqrt(20) x 2^-9 = 1% of its deviation from the mean logit (below 0.3 here: M1's token log-probs
// lie in -5.70..-5.25), so the log-softmax moves by ~0.006 nats of a loss of ~5.5, 1e-3 relative;
// the bound is twice that (measured: 5.1e-5). The SCIR step's loss is not compared: its pairs are
// selected where GRM and IRM agree, and this untrained judge's P_G lies within 1e-4 of 1/2, where a
// rounding flips a pair's label. That P_G still resolves (the LM head's logits are float32; in
// bfloat16 it read exactly 1/2 on every pair and the step kept none).
TEST(RunCli, BFloat16AndFloat16RunsFollowTheFloat32Run) {
  std::vector<std::string> files;
  for (const char* dtype : {"float32", "bfloat16", "float16"}) {
    const fs::path run = fs::path(scratch_path(std::string("scir_run_cli_dtype_") + dtype));
    fs::remove_all(run);
    const CommandResult result = run_command(
        std::string(SCIR_MPIEXEC) + " " +
        scir_hpc("run --out " + run.string() + kTwoLayerRun + " --dtype " + dtype +
                 " --pretrain.zero1 --sft.zero1 --scir.zero1 --pretrain.activation_checkpointing"
                 " --sft.activation_checkpointing --scir.activation_checkpointing"));
    ASSERT_EQ(result.exit_code, 0) << result.out;
    files.push_back((run / "run.h5").string());
    const bool low = std::string(dtype) != "float32";
    const torch::ScalarType expected = std::string(dtype) == "bfloat16" ? torch::kBFloat16
                                       : low                            ? torch::kHalf
                                                                        : torch::kFloat;
    for (const char* checkpoint : {"ckpt/m0", "ckpt/m1", "ckpt/iter_1/final"}) {
      for (const auto& [name, tensor] :
           scir::read_safetensors((run / checkpoint / "model.safetensors").string()).tensors) {
        EXPECT_EQ(tensor.scalar_type(), expected) << checkpoint << " " << name;
      }
    }
    if (low) {
      EXPECT_NE(result.out.find(scir::cat("weights 0.0247 MB (", c10::toString(expected), ")")),
                std::string::npos)
          << result.out;
      // The pool's 6 prompts over 2 ranks, 4 samples each: one batch of 12 sequences a rank.
      EXPECT_NE(result.out.find("[iter_1] KV cache of generation at most "), std::string::npos)
          << result.out;
      EXPECT_NE(result.out.find(" a rank (12 sequences x "), std::string::npos) << result.out;
    }
  }
  for (size_t low = 1; low < files.size(); ++low) {
    for (const char* group : {"/pretrain/steps", "/sft/steps"}) {
      const std::vector<double> float32 = scir::read_h5_group(files[0], group).columns.at("loss");
      const std::vector<double> rounded = scir::read_h5_group(files[low], group).columns.at("loss");
      ASSERT_EQ(rounded.size(), float32.size()) << group;
      for (size_t s = 0; s < float32.size(); ++s)
        EXPECT_NEAR(rounded[s], float32[s], 2e-3 * float32[s]) << files[low] << group << " " << s;
    }
    const std::vector<double> steps =
        scir::read_h5_group(files[low], "/iter_1/steps").columns.at("loss");
    ASSERT_FALSE(steps.empty());
    for (double loss : steps) EXPECT_TRUE(std::isfinite(loss));
    const std::vector<double> p_grm =
        scir::read_h5_group(files[low], "/iter_1/pairs").columns.at("p_grm0");
    EXPECT_GT(std::count_if(p_grm.begin(), p_grm.end(), [](double p) { return p != 0.5; }), 0);
    const std::vector<double> kept =
        scir::read_h5_group(files[low], "/iter_1/pairs").columns.at("kept_last");
    EXPECT_GT(std::count(kept.begin(), kept.end(), 1.0), 0);
  }
}
