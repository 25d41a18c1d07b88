#include "scir/pipeline/self_rewarding.h"

#include "scir/core/errors.h"
#include "scir/core/logging.h"
#include "scir/data/text_records.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/io/peft_adapter.h"
#include "scir/io/run_contract.h"
#include "scir/pipeline/evaluate_phase.h"
#include "scir/pipeline/generate_phase.h"
#include "scir/pipeline/label_phase.h"
#include "scir/pipeline/reference_phase.h"
#include "scir/pipeline/train_phase.h"

namespace scir {
namespace {

// The model directories of iteration t.
struct IterationModels {
  std::string current;    // M(t), the policy trained
  std::string reference;  // the IRM's reference (reference_model_index)
  std::string trained;    // M(t+1), written by the train phase
};

IterationModels iteration_models(const RunDirectory& run, const SelfRewardingInputs& inputs,
                                 const SelfRewardingPlan& plan, int t) {
  const auto model = [&](int s) {  // M(s)
    return s == 0   ? inputs.m0_dir
           : s == 1 ? inputs.m1_dir
                    : run.path(run_contract::iteration_checkpoint(s - 1));
  };
  // The offline methods label before training: their DPO reference is the model trained.
  return {model(t), model(reference_model_index(plan, t)), model(t + 1)};
}

// The phases of one iteration that are not done yet. A phase counts as done only after every
// phase before it: its input is their output.
void run_iteration(const IterationContext& context, const IterationModels& models, Transformer& m1,
                   const EvaluationData& evaluation_data) {
  const std::string group = run_contract::iteration_group(context.t);
  const bool generated = context.done("generate", PhaseOutputs{{}, {}, {group + "/pairs"}});
  const bool referenced = generated && context.done("reference");
  const bool labelled = referenced && context.done("label");
  const bool trained =
      labelled && context.done("train", PhaseOutputs{{models.trained}, {}, {group + "/steps"}});
  const torch::ScalarType dtype = context.plan.dtype;
  // With LoRA, a reference that is M(t) itself is M(t) with the adapter switched off: no second
  // copy. The trained policy then stays M(t) with the adapter on through the evaluation (M(t+1)'s
  // checkpoint is the two merged), also when a rerun finds the training done.
  const bool base_is_reference =
      context.plan.lora.on() && reference_is_current(context.plan, context.t);
  LoadedModel policy = load_hf_model_for(
      context.grid, trained && !base_is_reference ? models.trained : models.current, dtype);
  LoadedModel reference;
  if (base_is_reference) {
    log_info(cat("[", context.name(), "] reference ", models.reference,
                 ": the policy with its LoRA adapter off (no second copy)"));
  } else {
    reference = load_hf_model_for(context.grid, models.reference, dtype);
    log_info(cat("[", context.name(), "] reference ", models.reference));
  }
  policy.model->eval();
  std::unique_ptr<LoraAdapter> adapter;
  if (!trained) {
    // A rerun reads the pair store as far as the finished phases wrote it.
    if (generated) {
      log_info(cat("[", context.name(), "] pairs read from the store, done already: generate",
                   referenced ? ", reference" : "", labelled ? ", label" : ""));
    }
    IterationPairs pairs = !generated   ? generate_phase(context, *policy.model)
                           : labelled   ? read_pair_store(context, PairStage::kLabelled)
                           : referenced ? read_pair_store(context, PairStage::kReferenced)
                                        : read_pair_store(context, PairStage::kGenerated);
    if (!referenced) {
      reference_phase(context, *policy.model, base_is_reference ? *policy.model : *reference.model,
                      pairs, evaluation_data.heldout);
    }
    if (!labelled) label_phase(context, pairs);
    adapter = train_phase(context, *policy.model, pairs, models.current, base_is_reference);
  } else if (base_is_reference) {
    adapter = attach_peft_adapter(*policy.model,
                                  context.run.path(run_contract::iteration_adapter(context.t)));
  }
  evaluate_phase(
      context, *policy.model, m1,
      base_is_reference ? ReferenceModel::base_of(*adapter) : ReferenceModel::of(*reference.model),
      evaluation_data);
}

}  // namespace

std::vector<IterationSummary> run_self_rewarding(const ProcessGrid& grid, const RunDirectory& run,
                                                 const SelfRewardingInputs& inputs,
                                                 const SelfRewardingPlan& plan) {
  LoadedModel m1 = load_hf_model_for(grid, inputs.m1_dir, plan.dtype);
  const IterationJudges judges(*m1.tokenizer, inputs.chat_template, plan);
  EvaluationData evaluation_data;
  if (inputs.world) evaluation_data.prompts = read_prompt_texts(inputs.eval_prompts_path);
  if (!inputs.heldout_pairs_path.empty())
    evaluation_data.heldout = read_labelled_pairs(inputs.heldout_pairs_path);
  std::vector<IterationSummary> summaries;
  for (int t = 1; t <= plan.iterations; ++t) {
    const std::vector<std::string> prompts =
        read_prompt_texts(inputs.pool_paths.at(plan.fixed_pool ? 0 : t - 1));
    const IterationContext context{grid, run, plan, judges, inputs.world, t, prompts};
    const IterationModels models = iteration_models(run, inputs, plan, t);
    const std::string group = run_contract::iteration_group(t);
    if (run.done(
            grid.job(), context.name(),
            PhaseOutputs{
                {models.trained}, {}, {group + "/pairs", group + "/steps", group + "/eval"}})) {
      log_info(cat("[", context.name(), "] done already"));
    } else {
      run_iteration(context, models, *m1.model, evaluation_data);
    }
    if (grid.job().rank() == 0) summaries.push_back(read_iteration_summary(run, t));
  }
  return summaries;
}

}  // namespace scir
