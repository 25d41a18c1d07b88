// scir_hpc eval: a model in the embedded world, against a baseline and a reference model.
#include <iostream>

#include "command.h"
#include "model_options.h"
#include "process_grid_options.h"
#include "scir/core/option_binding.h"
#include "scir/data/text_records.h"
#include "scir/dist/agreement.h"
#include "scir/eval/world_eval.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/io/jsonl.h"
#include "scir/io/peft_adapter.h"
#include "scir/model/precision.h"
#include "world_options.h"

namespace scir::app {
namespace {

void declare(OptionSet& options) {
  declare_world_options(options);
  options.add_required_string("model", "model directory to evaluate")
      .add_string("adapter", "",
                  "a PEFT LoRA adapter directory merged into --model's weights before the "
                  "evaluation")
      .add_bool("merge", true,
                "with --adapter: merge it into the weights (false: keep it separate, computed "
                "beside each projection)")
      .add_string("baseline", "", "model directory to compare against (win rate)")
      .add_string("reference", "", "reference model of the implicit reward (its accuracy)")
      .add_required_string("world-data", "directory written by 'scir_hpc world'")
      .add_string("chat-template", "plain",
                  "how prompts are wrapped: none, plain, mistral, chatml, llama3 or model")
      .add_string("grm", "pairwise",
                  "judge evaluated: pairwise (judge.pairwise_template) or pointwise "
                  "(judge.pointwise_template, expected score)")
      .add_double("tau", 1.0, "temperature of the pointwise P_G (> 0)")
      .add_string("dtype", "float32",
                  "dtype the models load and compute in: float32, bfloat16 or float16");
  declare_eval_options(options);
  declare_device_option(options);
}

void run(const OptionSet& options, Comm& comm) {
  LoadedModel model, baseline, reference;
  std::unique_ptr<LoraAdapter> adapter;  // --merge false: on `model`, unmerged
  std::unique_ptr<world::World> world;
  std::unique_ptr<JudgeTemplate> judge_text;
  std::vector<std::string> prompts;
  std::vector<LabelledPair> pairs;
  WorldEvalSettings settings;
  ChatTemplate chat = ChatTemplate::kPlain;
  const std::unique_ptr<ProcessGrid> grid = make_device_grid(options, comm);
  agree_or_throw(comm, [&] {
    world = std::make_unique<world::World>(make_world(options));
    judge_text = std::make_unique<JudgeTemplate>(pairwise_template(options));
    chat = read_choice(options, "chat-template", chat_template_names());
    settings = read_eval_options(options);
    const std::string grm = options.get_string("grm");
    if (grm != "pairwise" && grm != "pointwise") options.reject("grm", "pairwise or pointwise");
    settings.pointwise_grm = grm == "pointwise";
    settings.tau = options.get_double("tau");
    if (settings.tau <= 0) options.reject("tau", "a number > 0");
    if (settings.pointwise_grm)  // checked here, where every rank agrees on the outcome
      JudgeTemplate::from_file(options.get_string("judge.pointwise_template"),
                               JudgeKind::kPointwise);
    const torch::ScalarType dtype = read_choice(options, "dtype", dtype_names());
    model = load_hf_model(options.get_string("model"), dtype);
    merge_or_check_adapter(options, *model.model);
    if (!model.tokenizer->has_text()) {
      throw InputError(cat(options.get_string("model"),
                           ": no tokenizer, and eval judges the world's text answers (expected "
                           "tokenizer.model, tokenizer.json or scir_tokenizer.json)"));
    }
    if (!options.get_string("baseline").empty())
      baseline = load_hf_model(options.get_string("baseline"), dtype);
    if (!options.get_string("reference").empty())
      reference = load_hf_model(options.get_string("reference"), dtype);
    const std::string data = options.get_string("world-data");
    prompts = read_prompt_texts(data + "/eval_prompts.jsonl");
    pairs = read_labelled_pairs(data + "/heldout_pairs.jsonl");
    for (LoadedModel* loaded : {&model, &baseline, &reference})
      if (loaded->model) place_on_grid(*grid, *loaded->model);
    adapter = attach_unmerged_adapter(options, *model.model);
  });
  const Tokenizer& tokenizer = *model.tokenizer;
  const PairwiseJudge judge = PairwiseJudge::with_ab_verdicts(tokenizer, chat, *judge_text);
  std::unique_ptr<LoadedPointwiseJudge> pointwise;
  if (settings.pointwise_grm) {
    pointwise = std::make_unique<LoadedPointwiseJudge>(
        tokenizer, chat, options.get_string("judge.pointwise_template"), settings.tau);
  }
  const WorldEvaluation evaluation = evaluate_world(
      grid->job(), *model.model, baseline.model.get(),
      reference.model ? ReferenceModel::of(*reference.model) : ReferenceModel(),
      {*world, judge, prompts, pairs, pointwise ? &pointwise->judge() : nullptr}, settings);
  if (comm.rank() == 0) std::cout << format_world_evaluation(evaluation) << std::flush;
}

}  // namespace

Command eval_command() {
  return {"eval", "evaluate a model in the embedded world (quality, win rate, judge accuracy)",
          declare, run};
}

}  // namespace scir::app
