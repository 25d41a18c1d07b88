// LoRA in the training phases of `scir_hpc run` (sft.lora_*, judge_sft.lora_*, scir.lora_*):
// the adapters are the only weights trained, written in PEFT's format beside each checkpoint and
// merged into it; bad settings are refused before any work.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.h"
#include "run_phases.h"
#include "scir/io/h5_group.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/io/peft_adapter.h"

namespace {

namespace fs = std::filesystem;

std::string tiny_run(const fs::path& run, const std::string& options) {
  return std::string(SCIR_MPIEXEC) + " " +
         scir_hpc("run --config " + std::string(SCIR_SOURCE_DIR) +
                  "/tests/fixtures/tiny_run.ini --out " + run.string() +
                  " --threads 1 --model.num_hidden_layers 2 --data.iterations 2 "
                  "--scir.iterations 2 " +
                  options);
}

// M(t+1) is M(t) with the adapter of iteration t merged, and nothing else changed: the norms
// and the embedding are M(t)'s bit for bit, and each adapted matrix moved by a rank-r term.
TEST(LoraCli, EachIterationTrainsAnAdapterAndMergesItIntoTheNextModel) {
  const fs::path run = scratch_path("scir_lora_cli_run");
  fs::remove_all(run);
  const CommandResult result =
      run_command(tiny_run(run,
                           "--scir.lora_rank 2 --scir.lora_alpha 4 --scir.lora_targets "
                           "q,v,down --scir.lr 0.01"));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  // Rank 2 a layer: q (16 x 16) 2 x 32, v (8 x 16) 2 x 24, down (16 x 32) 2 x 48; 2 layers.
  EXPECT_NE(result.out.find("[iter_1] LoRA rank 2, scale 2: 416 parameters trained"),
            std::string::npos)
      << result.out;
  for (int t : {1, 2}) {
    const fs::path adapter = run / "ckpt" / ("iter_" + std::to_string(t)) / "adapter";
    const scir::PeftLoraAdapter read = scir::load_peft_adapter(adapter.string());
    EXPECT_EQ(read.settings.rank, 2);
    EXPECT_EQ(read.settings.targets, (std::vector<std::string>{"q", "v", "down"}));
    EXPECT_EQ(read.weights.size(), 12u);  // A and B of 3 modules in 2 layers
    const fs::path before = t == 1 ? run / "ckpt" / "m1" : run / "ckpt" / "iter_1" / "final";
    const fs::path after = run / "ckpt" / ("iter_" + std::to_string(t)) / "final";
    scir::LoadedModel base = scir::load_hf_model(before.string());
    const auto original = base.model->named_weights();
    std::map<std::string, torch::Tensor> unmerged;
    for (const auto& [name, weight] : original) unmerged[name] = weight.detach().clone();
    scir::merge_peft_adapter(*base.model, adapter.string());
    const auto expected = base.model->named_weights();
    const auto trained = scir::load_hf_model(after.string()).model->named_weights();
    double moved = 0;
    for (const auto& [name, weight] : trained) {
      const bool adapted = name.find("q_proj") != std::string::npos ||
                           name.find("v_proj") != std::string::npos ||
                           name.find("down_proj") != std::string::npos;
      if (!adapted) {
        EXPECT_TRUE(torch::equal(weight, unmerged.at(name))) << t << " " << name;
        continue;
      }
      EXPECT_TRUE(torch::allclose(weight, expected.at(name), 1e-6, 1e-7)) << t << " " << name;
      const torch::Tensor change = weight - unmerged.at(name);
      moved = std::max(moved, change.abs().max().item<double>());
      const torch::Tensor singular = std::get<1>(torch::svd(change.to(torch::kDouble)));
      EXPECT_LT(singular[2].item<double>(), 1e-5 * singular[0].item<double>()) << name;
    }
    EXPECT_GT(moved, 1e-4) << "iteration " << t << " trained nothing";
  }
  // score --adapter: M1 with iteration 1's adapter scores as M2's checkpoint does.
  const std::string input = (run / "score.jsonl").string();
  std::ofstream(input) << "{\"prompt\": \"sort: 3 1 2\\n\", \"response\": \"1 2 3\"}\n"
                          "{\"prompt\": \"max: 4 9\\n\", \"response\": \"9\"}\n";
  // The adapter merged, kept separate (--merge false), and the merged checkpoint.
  std::vector<nlohmann::json> scored[3];
  const std::string with_adapter = "--model " + (run / "ckpt" / "m1").string() + " --adapter " +
                                   (run / "ckpt" / "iter_1" / "adapter").string();
  const std::string models[3] = {with_adapter, with_adapter + " --merge false",
                                 "--model " + (run / "ckpt" / "iter_1" / "final").string()};
  for (int i = 0; i < 3; ++i) {
    const std::string output = (run / ("scored_" + std::to_string(i) + ".jsonl")).string();
    const CommandResult score =
        run_command(scir_hpc("score " + models[i] + " --input " + input + " --output " + output));
    ASSERT_EQ(score.exit_code, 0) << score.out;
    std::ifstream lines(output);
    for (std::string line; std::getline(lines, line);)
      scored[i].push_back(nlohmann::json::parse(line));
  }
  for (int k = 0; k < 3; ++k) ASSERT_EQ(scored[k].size(), 2u) << k;
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_NEAR(scored[0][i]["logp"].get<double>(), scored[2][i]["logp"].get<double>(), 1e-5);
    EXPECT_NEAR(scored[1][i]["logp"].get<double>(), scored[2][i]["logp"].get<double>(), 1e-5);
  }
  const CommandResult merge_alone = run_command(scir_hpc(
      "score --model " + (run / "ckpt" / "m1").string() + " --merge false --input " + input));
  EXPECT_EQ(merge_alone.exit_code, 2);
  EXPECT_NE(merge_alone.out.find("option '--merge': expected no value without --adapter"),
            std::string::npos)
      << merge_alone.out;
  const CommandResult missing =
      run_command(scir_hpc("score --model " + (run / "ckpt" / "m1").string() + " --adapter " +
                           (run / "no_adapter").string() + " --input " + input));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.out.find((run / "no_adapter").string() + ": not an adapter directory"),
            std::string::npos)
      << missing.out;
}

// bfloat16 and float16 models with ZeRO-1 and activation checkpointing: the adapters stay
// float32 and the merge rounds W + s B A to the model's dtype once, so the next checkpoint is
// the previous one merged with the adapter in float32 and rounded, bit for bit.
TEST(LoraCli, LowPrecisionRunsMergeFloat32AdaptersRoundedOnce) {
  for (const char* dtype : {"bfloat16", "float16"}) {
    const fs::path run = scratch_path(std::string("scir_lora_cli_") + dtype);
    fs::remove_all(run);
    const CommandResult result = run_command(tiny_run(
        run,
        std::string("--dtype ") + dtype +
            " --scir.lora_rank 2 --scir.lr 0.01 --scir.zero1 --scir.activation_checkpointing"));
    ASSERT_EQ(result.exit_code, 0) << result.out;
    const torch::ScalarType expected =
        std::string(dtype) == "bfloat16" ? torch::kBFloat16 : torch::kHalf;
    for (int t : {1, 2}) {
      const fs::path adapter = run / "ckpt" / ("iter_" + std::to_string(t)) / "adapter";
      for (const auto& [name, tensor] : scir::load_peft_adapter(adapter.string()).weights)
        EXPECT_EQ(tensor.scalar_type(), torch::kFloat) << name;
      const fs::path before = t == 1 ? run / "ckpt" / "m1" : run / "ckpt" / "iter_1" / "final";
      scir::LoadedModel base = scir::load_hf_model(before.string());  // float32, exactly
      scir::merge_peft_adapter(*base.model, adapter.string());
      const auto merged = base.model->named_weights();
      const fs::path after = run / "ckpt" / ("iter_" + std::to_string(t)) / "final";
      bool changed = false;
      const auto previous = scir::load_hf_model(before.string(), expected).model->named_weights();
      for (const auto& [name, weight] :
           scir::load_hf_model(after.string(), expected).model->named_weights()) {
        EXPECT_EQ(weight.scalar_type(), expected) << name;
        EXPECT_TRUE(torch::equal(weight, merged.at(name).to(expected)))
            << dtype << " " << t << " " << name;
        changed = changed || !torch::equal(weight, previous.at(name));
      }
      EXPECT_TRUE(changed) << dtype << " iteration " << t << " trained nothing";
    }
  }
}

// The first step's loss of the phase `group` (/sft/steps, /iter_1/steps, ...) in `run`.
double first_step_loss(const fs::path& run, const std::string& group) {
  return scir::read_h5_group((run / "run.h5").string(), group + "/steps").columns.at("loss").at(0);
}

// LoRA in every training phase of a 2-rank run (sft, judge_sft and the iterations), against
// its full-parameter twins. A new adapter is its base exactly (B = 0), so where a LoRA phase and
// a full-parameter phase start from the same model, their first step sees the same function on
// the same batch: the same loss up to float rounding. Each LoRA phase writes its adapter, and
// the model it hands on is its start with the adapter merged.
TEST(LoraCli, LoraInEveryPhaseStartsEachPhaseAsItsFullParameterTwin) {
  const std::string judge_stage =
      "--data.judge_prompts 4 --judge_sft.steps 2 --judge_sft.batch_size 4 --scir.lr 0.01 ";
  const std::string sft = "--sft.lora_rank 2 ", judge = "--judge_sft.lora_rank 2 ",
                    iterations = "--scir.lora_rank 2 ";
  // Each twin of `lora` trains one phase more in full: it shares the models before that phase.
  const std::pair<const char*, std::string> runs[] = {{"lora", sft + judge + iterations},
                                                      {"full", ""},
                                                      {"full_judge", sft},
                                                      {"full_iterations", sft + judge}};
  std::map<std::string, fs::path> dirs;
  for (const auto& [name, options] : runs) {
    dirs[name] = scratch_path(std::string("scir_lora_every_phase_") + name);
    fs::remove_all(dirs[name]);
    const CommandResult result = run_command(tiny_run(dirs[name], judge_stage + options));
    ASSERT_EQ(result.exit_code, 0) << name << "\n" << result.out;
  }
  const fs::path lora = dirs["lora"];
  const std::pair<std::string, std::string> twins[] = {
      {"/sft", "full"}, {"/judge_sft", "full_judge"}, {"/iter_1", "full_iterations"}};
  for (const auto& [group, twin] : twins) {
    const double expected = first_step_loss(dirs[twin], group);
    EXPECT_NEAR(first_step_loss(lora, group), expected, 1e-6 * std::abs(expected)) << group;
  }
  // The twins differ after their first steps: the LoRA phases trained something else.
  EXPECT_NE(first_step_loss(lora, "/judge_sft"), first_step_loss(dirs["full"], "/judge_sft"));
  const std::pair<fs::path, std::string> phases[] = {{"m1_base", "sft"}, {"m1", "judge_sft"}};
  fs::path before = lora / "ckpt" / "m0";
  for (const auto& [model, phase] : phases) {
    const fs::path adapter = lora / "ckpt" / (phase + "_adapter");
    EXPECT_EQ(scir::load_peft_adapter(adapter.string()).settings.rank, 2) << phase;
    scir::LoadedModel base = scir::load_hf_model(before.string());
    scir::merge_peft_adapter(*base.model, adapter.string());
    const auto expected = base.model->named_weights();
    bool changed = false;
    const auto start = scir::load_hf_model(before.string()).model->named_weights();
    for (const auto& [name, weight] :
         scir::load_hf_model((lora / "ckpt" / model).string()).model->named_weights()) {
      EXPECT_TRUE(torch::allclose(weight, expected.at(name), 1e-6, 1e-7)) << phase << " " << name;
      changed = changed || !torch::equal(weight, start.at(name));
    }
    EXPECT_TRUE(changed) << phase << " trained nothing";
    before = lora / "ckpt" / model;
  }
  for (int t : {1, 2})
    EXPECT_TRUE(fs::exists(lora / "ckpt" / ("iter_" + std::to_string(t)) / "adapter"));
}

// Under scir.irm_ref current the implicit reward's reference is M(t) itself: with LoRA it is
// the policy with its adapter off, never loaded a second time, and M(t+1) is evaluated as M(t)
// with the adapter on. A rerun that finds the training done evaluates the same way (M(t) and
// the adapter read back), to the same record bit for bit.
TEST(LoraCli, TheCurrentReferenceIsThePolicyWithItsAdapterOff) {
  const fs::path run = scratch_path("scir_lora_cli_current_reference");
  fs::remove_all(run);
  const std::string command =
      tiny_run(run, "--scir.lora_rank 2 --scir.lr 0.01 --scir.irm_ref current");
  const CommandResult first = run_command(command);
  ASSERT_EQ(first.exit_code, 0) << first.out;
  for (const char* iteration : {"[iter_1]", "[iter_2]"}) {
    EXPECT_NE(first.out.find(std::string(iteration) + " reference "), std::string::npos);
    const size_t at = first.out.find(std::string(iteration) + " reference ");
    EXPECT_NE(first.out.find(": the policy with its LoRA adapter off (no second copy)", at),
              std::string::npos)
        << first.out;
  }
  const std::string h5 = (run / "run.h5").string();
  const auto recorded = scir::read_h5_group(h5, "/iter_2/eval").numbers;
  EXPECT_FALSE(std::isnan(recorded.at("acc_irm")));  // measured, against M(2) with the adapter off
  fs::remove(run / ".done" / "iter_2");
  fs::remove(run / ".done" / "run");
  const CommandResult again = run_command(command);
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("[iter_1] done already"), std::string::npos) << again.out;
  const auto redone = scir::read_h5_group(h5, "/iter_2/eval").numbers;
  ASSERT_EQ(redone.size(), recorded.size());
  for (const auto& [name, value] : recorded) {
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(redone.at(name))) << name;
    } else {
      EXPECT_EQ(redone.at(name), value) << name;
    }
  }
}

// LoRA under --tp 2 (one model copy cut in two, each rank holding its slices of the factors),
// as RunCli.TensorParallelRunFollowsOneRank checks full-parameter training: each LoRA phase run
// under --tp 2 from a one-rank run's own inputs takes the same first step (sft, judge_sft, and
// iteration 1 with the implicit reward's reference the policy with its adapter off). Its adapter
// is written whole, in PEFT's shapes, and its checkpoint is its start with that adapter merged
// (each slice merged, then gathered); the adapter is the one-rank run's up to the AdamW steps
// between them. score --tp 2 --adapter, merged or not, scores as the merged checkpoint.
TEST(LoraCli, UnderTensorParallelismEachPhaseFollowsOneRank) {
  const fs::path root = scratch_path("scir_lora_cli_tp");
  fs::remove_all(root);
  const std::string options =
      " --config " + std::string(SCIR_SOURCE_DIR) +
      "/tests/fixtures/tiny_run.ini --threads 1 --model.num_hidden_layers 2 "
      "--model.vocab_size 260 --data.judge_prompts 4 --judge_sft.steps 2 "
      "--judge_sft.batch_size 4 --scir.lr 0.005 --scir.batch_pairs 12 --scir.irm_ref current "
      "--sft.lora_rank 2 "
      "--judge_sft.lora_rank 2 --scir.lora_rank 2";
  const fs::path one = root / "one";
  const CommandResult single = run_command(scir_hpc("run --out " + one.string() + options));
  ASSERT_EQ(single.exit_code, 0) << single.out;
  const std::pair<const char*, const char*> phases[] = {
      {"sft", "/sft/steps"}, {"eft_own", "/judge_sft/steps"}, {"sft_eval", "/iter_1/steps"}};
  for (const auto& [phase, steps] : phases) {
    const fs::path dir = root / (std::string("tp_from_") + phase);
    copy_run_undoing(one, dir, phase);
    const CommandResult tp = run_command(std::string(SCIR_MPIEXEC) + " " +
                                         scir_hpc("run --tp 2 --out " + dir.string() + options));
    ASSERT_EQ(tp.exit_code, 0) << phase << "\n" << tp.out;
    // Each rank trains its slices: the log says so (2 layers of rank 2 on all seven targets,
    // 1,024 parameters whole, 736 a rank).
    if (std::string(phase) == "sft_eval") {
      EXPECT_NE(tp.out.find("[iter_1] LoRA rank 2, scale 8: 736 parameters trained, 6544 frozen "
                            "(this rank's slices)"),
                std::string::npos)
          << tp.out;
    }
    expect_same_first_step((one / "run.h5").string(), (dir / "run.h5").string(), steps);
  }
  const fs::path tp = root / "tp_from_sft_eval";
  const fs::path adapter = tp / "ckpt" / "iter_1" / "adapter";
  const scir::PeftLoraAdapter written = scir::load_peft_adapter(adapter.string());
  const scir::PeftLoraAdapter alone =
      scir::load_peft_adapter((one / "ckpt" / "iter_1" / "adapter").string());
  ASSERT_EQ(written.weights.size(), alone.weights.size());
  // AdamW moves each factor's element by at most about lr a step (3.2 lr where a gradient's
  // sign has just turned), so the two adapters part by at most 2 x 3.2 x lr x steps, while a
  // slice gathered in the wrong place is off by A's own size (up to 1 / sqrt(16) = 0.25).
  const double steps = static_cast<double>(
      scir::read_h5_group((tp / "run.h5").string(), "/iter_1/steps").columns.at("loss").size());
  const double bound = 2 * 3.2 * 0.005 * steps;
  ASSERT_LT(bound, 0.2);
  for (const auto& [name, factor] : written.weights) {
    ASSERT_EQ(factor.sizes(), alone.weights.at(name).sizes()) << name;
    EXPECT_LT((factor - alone.weights.at(name)).abs().max().item<double>(), bound) << name;
  }
  scir::LoadedModel base = scir::load_hf_model((tp / "ckpt" / "m1").string());
  scir::merge_peft_adapter(*base.model, adapter.string());
  const auto expected = base.model->named_weights();
  const fs::path final_model = tp / "ckpt" / "iter_1" / "final";
  for (const auto& [name, weight] :
       scir::load_hf_model(final_model.string()).model->named_weights())
    EXPECT_TRUE(torch::allclose(weight, expected.at(name), 1e-6, 1e-7)) << name;

  const std::string input = (root / "score.jsonl").string();
  std::ofstream(input) << "{\"prompt\": \"sort: 3 1 2\\n\", \"response\": \"1 2 3\"}\n"
                          "{\"prompt\": \"max: 4 9\\n\", \"response\": \"9\"}\n";
  const std::string with_adapter =
      "--model " + (tp / "ckpt" / "m1").string() + " --adapter " + adapter.string();
  const std::string models[3] = {"--model " + final_model.string(), with_adapter,
                                 with_adapter + " --merge false"};
  std::vector<double> logp[3];
  for (int i = 0; i < 3; ++i) {
    const std::string output = (root / ("scored_" + std::to_string(i) + ".jsonl")).string();
    const CommandResult score = run_command(std::string(SCIR_MPIEXEC) + " " +
                                            scir_hpc("score --tp 2 --threads 1 " + models[i] +
                                                     " --input " + input + " --output " + output));
    ASSERT_EQ(score.exit_code, 0) << models[i] << "\n" << score.out;
    std::ifstream lines(output);
    for (std::string line; std::getline(lines, line);)
      logp[i].push_back(nlohmann::json::parse(line)["logp"].get<double>());
    ASSERT_EQ(logp[i].size(), 2u) << models[i];
  }
  for (int i = 1; i < 3; ++i)
    for (size_t k = 0; k < 2; ++k) EXPECT_NEAR(logp[i][k], logp[0][k], 1e-5) << models[i];
}

// Every method trains with LoRA: the online ones (their judge and implicit reward through the
// adapted model) and the offline ones (srlm, oracle: their DPO reference is M(t), the policy
// with its adapter off). Each writes its adapter; a method that kept pairs moved the checkpoint
// away from M1, and one that kept none (the oracle here: M1's samples in this tiny world all
// have quality 0, so no pair is labelled) left it M1 bit for bit, its B still zero.
TEST(LoraCli, EveryMethodTrainsItsAdapter) {
  for (const char* method :
       {"scir", "scir_no_cons", "scir_no_select", "irm_only", "grm_online", "srlm", "oracle"}) {
    const fs::path run = scratch_path(std::string("scir_lora_method_") + method);
    fs::remove_all(run);
    const CommandResult result = run_command(
        tiny_run(run, std::string("--scir.lora_rank 2 --scir.lr 0.01 --scir.method ") + method));
    ASSERT_EQ(result.exit_code, 0) << method << "\n" << result.out;
    EXPECT_EQ(scir::load_peft_adapter((run / "ckpt" / "iter_1" / "adapter").string()).settings.rank,
              2)
        << method;
    const scir::H5Group steps = scir::read_h5_group((run / "run.h5").string(), "/iter_1/steps");
    double kept = 0;
    for (double share : steps.columns.at("kept_share")) kept += share;
    const auto before = scir::load_hf_model((run / "ckpt" / "m1").string()).model->named_weights();
    bool moved = false;
    for (const auto& [name, weight] :
         scir::load_hf_model((run / "ckpt" / "iter_1" / "final").string()).model->named_weights())
      moved = moved || !torch::equal(weight, before.at(name));
    EXPECT_EQ(moved, kept > 0) << method << ": kept share summed over the steps " << kept;
    if (std::string(method) != "oracle") {
      EXPECT_GT(kept, 0) << method;
    }
  }
}

TEST(LoraCli, BadLoraSettingsAreRefusedBeforeAnyWork) {
  const fs::path run = scratch_path("scir_lora_cli_bad");
  const std::pair<std::string, std::string> cases[] = {
      {"--scir.lora_rank -1",
       "option '--scir.lora_rank': expected an integer >= 0 (0: no LoRA), got '-1'"},
      {"--scir.lora_rank 2 --scir.lora_alpha 0",
       "option '--scir.lora_alpha': expected a number > 0, got '0'"},
      {"--scir.lora_rank 2 --scir.lora_targets q,lm_head",
       "option '--scir.lora_targets': expected distinct names among q, k, v, o, gate, up, down, "
       "comma-separated (got 'lm_head')"},
      {"--scir.lora_rank 2 --scir.lora_targets q,q",
       "option '--scir.lora_targets': expected distinct names among q, k, v, o, gate, up, down, "
       "comma-separated (got 'q')"},
      {"--scir.lora_alpha 8",
       "option '--scir.lora_alpha': expected no value unless "
       "scir.lora_rank > 0"},
      {"--judge_sft.lora_rank 2",
       "option '--judge_sft.lora_rank': expected 0 unless judge_sft.steps > 0 (no judge stage "
       "runs)"},
      {"--sft.lora_alpha 8",
       "option '--sft.lora_alpha': expected no value unless sft.lora_rank > 0"},
      {"--data.judge_prompts 4 --judge_sft.steps 2 --judge_sft.lora_rank 17 "
       "--judge_sft.lora_targets up",
       "option '--judge_sft.lora_rank': expected at most 16, the smaller dimension of mlp.up_proj "
       "(32 x 16)"},
      {"--scir.lora_rank 9 --scir.lora_targets q,k",
       "option '--scir.lora_rank': expected at most 8, the smaller dimension of self_attn.k_proj "
       "(8 x 16)"},
  };
  for (const auto& [options, message] : cases) {
    fs::remove_all(run);
    const CommandResult result = run_command(tiny_run(run, options));
    EXPECT_EQ(result.exit_code, 2) << options << "\n" << result.out;
    EXPECT_NE(result.out.find(message), std::string::npos) << options << "\n" << result.out;
    EXPECT_FALSE(fs::exists(run / "ckpt" / "m0")) << options;
  }
}

}  // namespace
