// The SCIR study's switches as `scir_hpc run` writes them: M1's finish (finish.method = oracle)
// and the implicit reward's fixed references (scir.irm_ref first and m1), checked against each
// model's own log-probabilities; and the consistency pull directed by measured reliability
// (scir.cons_stopgrad reliable), checked against M1's own evaluation.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>

#include "cli_runner.h"
#include "scir/data/text_records.h"
#include "scir/io/h5_group.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/model/sequence_logprobs.h"
#include "scir/tokenizer/chat_template.h"

namespace {

namespace fs = std::filesystem;

// A two-iteration run of the tiny configuration with M1's finish, and `options`. 40 steps of
// pretraining: the model writes numbers, so the finish's samples differ in quality.
CommandResult finished_run(const fs::path& run, const std::string& options) {
  fs::remove_all(run);
  return run_command(std::string(SCIR_MPIEXEC) + " " +
                     scir_hpc("run --config " + std::string(SCIR_SOURCE_DIR) +
                              "/tests/fixtures/tiny_run.ini --out " + run.string() +
                              " --threads 1 --data.iterations 2 --scir.iterations 2 "
                              "--finish.method oracle --data.finish_prompts 6 "
                              "--finish.batch_pairs 2 --finish.max_new_tokens 8 "
                              "--finish.pairs all --data.corpus 200 --pretrain.steps 40 "
                              "--pretrain.batch_size 8 --pretrain.lr 0.01 " +
                              options));
}

// `model`'s log-probabilities of both responses of each of iteration t's pairs, given the
// iteration's prompts: [side][pair].
std::array<std::vector<double>, 2> pair_logprobs(const fs::path& run, int t,
                                                 const fs::path& model) {
  const scir::H5Group pairs =
      scir::read_h5_group((run / "run.h5").string(), "/iter_" + std::to_string(t) + "/pairs");
  const std::vector<std::string> prompts =
      scir::read_prompt_texts((run / "data" / ("pool_" + std::to_string(t) + ".jsonl")).string());
  scir::LoadedModel loaded = scir::load_hf_model(model.string());
  loaded.model->eval();
  const size_t rows = pairs.columns.at("prompt_id").size();
  std::array<std::vector<double>, 2> logprobs;
  for (int side = 0; side < 2; ++side) {
    std::vector<scir::PromptResponse> batch;
    for (size_t i = 0; i < rows; ++i) {
      const auto& tokens = pairs.token_columns.at("resp" + std::to_string(side + 1) + "_tokens")[i];
      const std::string& prompt = prompts.at(static_cast<size_t>(pairs.columns.at("prompt_id")[i]));
      batch.push_back({scir::prompt_ids(*loaded.tokenizer, scir::ChatTemplate::kPlain, prompt),
                       std::vector<int64_t>(tokens.begin(), tokens.end())});
    }
    torch::NoGradGuard no_grad;
    const torch::Tensor logp =
        scir::response_logprobs(*loaded.model, batch, loaded.tokenizer->pad_id()).sum;
    for (size_t i = 0; i < rows; ++i) logprobs[side].push_back(logp[i].item<double>());
  }
  return logprobs;
}

// Expects iteration t's reference log-probabilities (logp_ref1, logp_ref2) to be `model`'s.
void expect_reference_is(const fs::path& run, int t, const fs::path& model) {
  const scir::H5Group pairs =
      scir::read_h5_group((run / "run.h5").string(), "/iter_" + std::to_string(t) + "/pairs");
  const auto logprobs = pair_logprobs(run, t, model);
  ASSERT_GT(logprobs[0].size(), 0u);
  for (int side = 0; side < 2; ++side) {
    const std::vector<double>& recorded = pairs.columns.at("logp_ref" + std::to_string(side + 1));
    for (size_t i = 0; i < recorded.size(); ++i)
      EXPECT_NEAR(recorded[i], logprobs[side][i], 1e-4) << "iteration " << t << " pair " << i;
  }
}

TEST(FinishCli, TheFinishedM1StartsTheIterationsAndTheSftModelIsTheFirstReference) {
  const fs::path run = fs::path(scratch_path("scir_finish_cli_first"));
  const CommandResult result = finished_run(run, "--scir.irm_ref first");
  ASSERT_EQ(result.exit_code, 0) << result.out;
  const fs::path sft_model = run / "ckpt" / "m1";
  const fs::path finished = run / "finish" / "ckpt" / "iter_1" / "final";
  ASSERT_TRUE(fs::exists(finished / "model.safetensors"));
  // The finish is an oracle iteration from the SFT model: its labels are the oracle's.
  const scir::H5Group finish_pairs =
      scir::read_h5_group((run / "finish" / "run.h5").string(), "/iter_1/pairs");
  const auto& label = finish_pairs.columns.at("label_fixed");
  ASSERT_GT(std::count_if(label.begin(), label.end(), [](double l) { return l >= 0; }), 0)
      << "the test needs pairs of unequal quality";
  for (size_t i = 0; i < label.size(); ++i) {
    const double q1 = finish_pairs.columns.at("oracle_q1")[i],
                 q2 = finish_pairs.columns.at("oracle_q2")[i];
    EXPECT_EQ(label[i], q1 > q2 ? 1 : q1 < q2 ? 0 : -1) << i;
  }
  // Its model's evaluation is in the run's run.h5, beside the SFT model's.
  const scir::H5Group finish_eval = scir::read_h5_group((run / "run.h5").string(), "/finish/eval");
  EXPECT_GE(finish_eval.numbers.at("win_rate_vs_m1"), 0.0);
  EXPECT_LE(finish_eval.numbers.at("win_rate_vs_m1"), 1.0);
  // irm_ref first: the SFT model is the reference of both iterations, and the policy of
  // iteration 1 is the finished model, so the implicit reward is measured from the start.
  expect_reference_is(run, 1, sft_model);
  expect_reference_is(run, 2, sft_model);
  // The implicit reward before training, by hand: P_I = sigmoid(beta [(log pi_M1(y1) - log
  // pi_ref(y1)) - (log pi_M1(y2) - log pi_ref(y2))]) with M1 the finished model, beta 0.1.
  const auto policy = pair_logprobs(run, 1, finished);
  const auto reference = pair_logprobs(run, 1, sft_model);
  const scir::H5Group pairs = scir::read_h5_group((run / "run.h5").string(), "/iter_1/pairs");
  double informative = 0;
  for (size_t i = 0; i < policy[0].size(); ++i) {
    const double margin =
        0.1 * ((policy[0][i] - reference[0][i]) - (policy[1][i] - reference[1][i]));
    EXPECT_NEAR(pairs.columns.at("p_irm0")[i], 1 / (1 + std::exp(-margin)), 1e-5) << i;
    informative += std::abs(margin) > 1e-3 ? 1 : 0;
  }
  EXPECT_GT(informative, 0) << "the finish changed M1's log-probabilities of its samples";
  EXPECT_NE(result.out.find("[iter_1] reference " + sft_model.string()), std::string::npos);
  const scir::H5Group eval = scir::read_h5_group((run / "run.h5").string(), "/iter_1/eval");
  EXPECT_FALSE(std::isnan(eval.numbers.at("agreement_start")));
}

TEST(FinishCli, ReferenceM1IsTheFinishedModelInEveryIteration) {
  const fs::path run = fs::path(scratch_path("scir_finish_cli_m1"));
  const CommandResult result = finished_run(run, "--scir.irm_ref m1");
  ASSERT_EQ(result.exit_code, 0) << result.out;
  const fs::path finished = run / "finish" / "ckpt" / "iter_1" / "final";
  expect_reference_is(run, 1, finished);
  expect_reference_is(run, 2, finished);
  // In iteration 1 the policy is its own reference: P_I = 1/2, nothing measured.
  const scir::H5Group pairs = scir::read_h5_group((run / "run.h5").string(), "/iter_1/pairs");
  for (double p : pairs.columns.at("p_irm0")) EXPECT_EQ(p, 0.5);
  const scir::H5Group eval = scir::read_h5_group((run / "run.h5").string(), "/iter_1/eval");
  EXPECT_TRUE(std::isnan(eval.numbers.at("agreement_start")));
}

// reliable: before iteration 1, M1's judge and implicit reward (M0 as reference) are measured on
// the held-out pairs, as M1's evaluation measures them, and the more accurate one is held fixed.
TEST(FinishCli, TheReliablePullHoldsTheMoreAccurateRewardModelFixed) {
  const fs::path run = fs::path(scratch_path("scir_finish_cli_reliable"));
  fs::remove_all(run);
  const CommandResult result = run_command(
      std::string(SCIR_MPIEXEC) + " " +
      scir_hpc("run --config " + std::string(SCIR_SOURCE_DIR) + "/tests/fixtures/tiny_run.ini " +
               "--out " + run.string() + " --threads 1 --scir.cons_stopgrad reliable"));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  const std::string h5 = (run / "run.h5").string();
  const scir::H5Group m1 = scir::read_h5_group(h5, "/sft/eval");
  const scir::H5Group eval = scir::read_h5_group(h5, "/iter_1/eval");
  const double grm = eval.numbers.at("acc_grm_heldout0"), irm = eval.numbers.at("acc_irm_heldout0");
  EXPECT_NEAR(grm, m1.numbers.at("acc_grm"), 1e-9);
  EXPECT_NEAR(irm, m1.numbers.at("acc_irm"), 1e-9);
  const std::string side =
      grm >= irm ? "the judge fixed, the IRM pulled" : "the IRM fixed, the judge pulled";
  EXPECT_NE(result.out.find("[iter_1] consistency pull: " + side), std::string::npos) << result.out;
  // Without reliable the fields are not measured.
  const fs::path plain = fs::path(scratch_path("scir_finish_cli_plain"));
  fs::remove_all(plain);
  ASSERT_EQ(
      run_command(std::string(SCIR_MPIEXEC) + " " +
                  scir_hpc("run --config " + std::string(SCIR_SOURCE_DIR) +
                           "/tests/fixtures/tiny_run.ini --out " + plain.string() + " --threads 1"))
          .exit_code,
      0);
  const scir::H5Group plain_eval = scir::read_h5_group((plain / "run.h5").string(), "/iter_1/eval");
  EXPECT_TRUE(std::isnan(plain_eval.numbers.at("acc_grm_heldout0")));
}

}  // namespace
