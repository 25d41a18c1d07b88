#include "scir/pipeline/seed_models.h"

#include <filesystem>

#include "scir/core/errors.h"
#include "scir/core/logging.h"
#include "scir/core/rng.h"
#include "scir/data/lm_examples.h"
#include "scir/data/text_records.h"
#include "scir/eval/evaluation_record.h"
#include "scir/io/h5_group.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/io/jsonl.h"
#include "scir/io/run_contract.h"
#include "scir/pipeline/lora_training.h"
#include "scir/pipeline/random_streams.h"
#include "scir/tokenizer/byte_tokenizer.h"
#include "scir/train/training_state.h"

namespace scir {
namespace {

// Trains `from` into `to` on the JSONL files, unless the phase is done. With LoRA its adapter,
// A drawn from `lora_seed`, goes to RUN/ckpt/<phase>_adapter and is merged into `to`.
void train_phase(const ProcessGrid& grid, const RunDirectory& run, const std::string& phase,
                 const std::string& from, const std::string& to,
                 const std::vector<std::string>& data, LossTokens loss_tokens,
                 const LmTrainOptions& options, torch::ScalarType dtype, uint64_t lora_seed) {
  Comm& job = grid.job();
  const std::string adapter_dir = run.path(run_contract::phase_adapter(phase));
  PhaseOutputs outputs{{to}, {}, {}};
  if (options.lora.on()) outputs.files.push_back(adapter_dir + "/adapter_config.json");
  if (run.done(job, phase, outputs)) {
    log_info(cat("[", phase, "] done already: ", to));
    return;
  }
  LoadedModel loaded = load_hf_model_for(grid, from, dtype);
  const auto examples =
      read_lm_examples(data, *loaded.tokenizer, ChatTemplate::kPlain, loss_tokens);
  log_info(cat("[", phase, "] ", examples.size(), " examples, ",
               loaded.model->config().parameter_count(), " parameters"));
  LmTrainOptions with_state = options;
  with_state.state_dir = run.path(run_contract::state_directory(phase));
  std::unique_ptr<LoraAdapter> adapter = attach_lora(*loaded.model, options.lora, lora_seed, phase);
  const LmStepMetrics metrics =
      train_language_model(*loaded.model, grid.data(), examples, with_state,
                           loaded.tokenizer->pad_id(), nullptr, adapter.get());
  save_and_merge_lora(job, adapter, adapter_dir, from);
  save_whole_hf_model(job, to, *loaded.model, *loaded.tokenizer);
  if (job.rank() == 0) {
    write_h5_group(run.h5(), "/" + phase + "/steps", metrics.as_h5_group());
    run.mark_done(phase);
    TrainingState(with_state.state_dir, with_state.state_every).clear(job);  // phase done
  }
  job.barrier();
}

}  // namespace

SeedModels build_seed_models(const ProcessGrid& grid, const RunDirectory& run,
                             const SeedModelsPlan& plan) {
  Comm& job = grid.job();
  SeedModels seeds{run.path(run_contract::kDataDirectory),
                   run.path(run_contract::seed_checkpoint("m0")),
                   run.path(run_contract::seed_checkpoint("m1"))};
  const auto data_file = [&](const std::string& name) { return seeds.data_dir + "/" + name; };
  const world::World world(plan.world);
  const JudgeTemplate pairwise =
      JudgeTemplate::from_file(plan.pairwise_template, JudgeKind::kPairwise);
  // The data sets every later phase reads (the judge stage's prompts are checked where used).
  PhaseOutputs data_sets;
  for (const char* name :
       {run_contract::kCorpusFile, run_contract::kIftFile, run_contract::kEftFile,
        run_contract::kEvalPromptsFile, run_contract::kHeldoutPairsFile})
    data_sets.files.push_back(data_file(name));
  for (int t = 1; t <= plan.data.iterations; ++t)
    data_sets.files.push_back(data_file(run_contract::prompt_pool_file(t)));
  if (plan.data.finish_prompts > 0)
    data_sets.files.push_back(data_file(run_contract::kFinishPromptsFile));
  if (!run.done(job, "data", data_sets)) {
    if (job.rank() == 0) {
      const JudgeTemplate pointwise =
          JudgeTemplate::from_file(plan.pointwise_template, JudgeKind::kPointwise);
      world::write_world_datasets(world, pairwise, plan.data, plan.seed, seeds.data_dir,
                                  &pointwise);
      run.mark_done("data");
    }
    job.barrier();
  }
  const std::string initial = run.path(run_contract::seed_checkpoint("init"));
  if (!run.done(job, "init", initial)) {
    if (job.rank() == 0) {
      Transformer model(plan.model);
      model.init_weights(plan.seed);
      save_hf_model(initial, model, ByteTokenizer());
      run.mark_done("init");
    }
    job.barrier();
  }
  // The seed models' adapters draw from {0, kStreamLora, phase}; iteration t's from {t, ...}.
  const auto lora_seed = [&](uint64_t phase) {
    return RngStream::derive(plan.seed, {0, kStreamLora, phase}).next_u64();
  };
  train_phase(grid, run, "pretrain", initial, seeds.m0_dir, {data_file(run_contract::kCorpusFile)},
              LossTokens::kAllTokens, plan.pretrain, plan.dtype, lora_seed(0));
  const std::vector<std::string> seed_data = {data_file(run_contract::kIftFile),
                                              data_file(run_contract::kEftFile)};
  const bool judge_stage = plan.judge_sft.steps > 0;
  const std::string sft_out =
      judge_stage ? run.path(run_contract::seed_checkpoint("m1_base")) : seeds.m1_dir;
  train_phase(grid, run, "sft", seeds.m0_dir, sft_out, seed_data, LossTokens::kResponseOnly,
              plan.sft, plan.dtype, lora_seed(1));
  if (judge_stage) {
    const std::string own_eft = data_file(run_contract::kOwnEftFile);
    if (!run.done(job, "eft_own", PhaseOutputs{{}, {own_eft}, {}})) {
      LoadedModel base = load_hf_model_for(grid, sft_out, plan.dtype);
      const int64_t pairs = write_own_sample_eft(
          grid, *base.model, *base.tokenizer, world, pairwise,
          read_prompt_texts(data_file(run_contract::kJudgePromptsFile)), plan.own_eft, own_eft);
      log_info(cat("[eft_own] ", pairs, " pairs of the SFT model's own samples -> ", own_eft));
      if (job.rank() == 0) run.mark_done("eft_own");
      job.barrier();
    }
    std::vector<std::string> judge_data = seed_data;
    // A model whose samples never differ in quality gives no pairs (an empty file).
    if (std::filesystem::file_size(own_eft) > 0) {
      judge_data.push_back(own_eft);
    } else {
      log_warn(cat("[judge_sft] no pairs in ", own_eft, ": training on IFT + EFT only"));
    }
    train_phase(grid, run, "judge_sft", sft_out, seeds.m1_dir, judge_data,
                LossTokens::kResponseOnly, plan.judge_sft, plan.dtype, lora_seed(2));
  }
  if (!run.done(job, "sft_eval", PhaseOutputs{{}, {}, {"/sft/eval"}})) {
    LoadedModel m1 = load_hf_model_for(grid, seeds.m1_dir, plan.dtype);
    LoadedModel m0 = load_hf_model_for(grid, seeds.m0_dir, plan.dtype);
    const Tokenizer& tokenizer = *m1.tokenizer;
    const PairwiseJudge judge =
        PairwiseJudge::with_ab_verdicts(tokenizer, ChatTemplate::kPlain, pairwise);
    const std::vector<std::string> prompts =
        read_prompt_texts(data_file(run_contract::kEvalPromptsFile));
    std::unique_ptr<LoadedPointwiseJudge> pointwise;
    if (plan.eval.pointwise_grm) {
      pointwise = std::make_unique<LoadedPointwiseJudge>(tokenizer, ChatTemplate::kPlain,
                                                         plan.pointwise_template, plan.eval.tau);
    }
    const WorldEvaluation evaluation = evaluate_world(
        grid.data(), *m1.model, nullptr, ReferenceModel::of(*m0.model),
        {world, judge, prompts, read_labelled_pairs(data_file(run_contract::kHeldoutPairsFile)),
         pointwise ? &pointwise->judge() : nullptr},
        plan.eval);
    log_info("[sft_eval] M1\n" + format_world_evaluation(evaluation));
    if (job.rank() == 0) {
      WorldEvaluation record = evaluation;
      record.win_rate_vs_m1 = 0.5;  // M1 against itself, by definition
      record.win_rate_ci95 = 0.0;
      H5Group group;
      group.numbers = evaluation_record(record);
      write_h5_group(run.h5(), "/sft/eval", group);
      run.mark_done("sft_eval");
    }
    job.barrier();
  }
  return seeds;
}

}  // namespace scir
