#include "world_options.h"

#include "scir/core/option_binding.h"
#include "scir/data/world/task_family.h"

namespace scir::app {

void declare_world_options(OptionSet& options) {
  options
      .add_string("world.families", "sort,unique,evens,reverse,max",
                  "task families, comma-separated")
      .add_int("world.min_length", 3, "shortest list")
      .add_int("world.max_length", 6, "longest list")
      .add_int("world.max_value", 19, "values are integers in [0, max_value]")
      .add_string("judge.pairwise_template", default_template_dir() + "/world_pairwise.txt",
                  "pairwise judge template ({instruction}, {response_a}, {response_b})")
      .add_string("judge.pointwise_template", default_template_dir() + "/world_pointwise.txt",
                  "pointwise judge template ({instruction}, {response}; scored 0-5)");
}

world::World make_world(const OptionSet& options) {
  world::WorldKnobs knobs;
  knobs.families = options.get_list("world.families");
  knobs.min_length = static_cast<int>(options.get_int("world.min_length"));
  knobs.max_length = static_cast<int>(options.get_int("world.max_length"));
  knobs.max_value = static_cast<int>(options.get_int("world.max_value"));
  if (knobs.min_length < 1) options.reject("world.min_length", "an integer >= 1");
  if (knobs.max_length < knobs.min_length)
    options.reject("world.max_length",
                   cat("an integer >= world.min_length (", knobs.min_length, ")"));
  if (knobs.max_value < 1 || knobs.max_value > 999)
    options.reject("world.max_value", "an integer in [1, 999]");
  if (knobs.families.empty()) options.reject("world.families", "at least one family");
  for (const std::string& name : knobs.families) {
    if (!world::family_named(name)) {
      std::string known;
      for (const world::TaskFamily* family : world::all_families())
        known += (known.empty() ? "" : ", ") + family->name();
      throw InputError(cat("option '--world.families': expected some of ", known,
                           ", got the family '", name, "'"));
    }
  }
  return world::World(knobs);
}

JudgeTemplate pairwise_template(const OptionSet& options) {
  return JudgeTemplate::from_file(options.get_string("judge.pairwise_template"),
                                  JudgeKind::kPairwise);
}

namespace {

// The embedded world's data set sizes, once.
void bind_dataset_options(OptionBinder& bind, world::DatasetSizes& sizes) {
  const OptionRange count = OptionRange::within(1, 10'000'000, "an integer in [1, 10000000]");
  const OptionRange optional_count =
      OptionRange::within(0, 10'000'000, "an integer in [0, 10000000]");
  const OptionRange share = OptionRange::within(0, 1, "a number in [0, 1]");
  bind.integer("data.corpus", sizes.corpus, "base corpus examples (M0)", count)
      .integer("data.ift", sizes.ift, "seed IFT examples", count)
      .integer("data.eft_pairs", sizes.eft_pairs, "seed EFT pairs (each in both orders)", count)
      .integer("data.pool", sizes.pool, "prompts a self-rewarding iteration", count)
      .integer("data.iterations", sizes.iterations, "prompt pools to write", count)
      .integer("data.eval_prompts", sizes.eval_prompts, "held-out evaluation prompts", count)
      .integer("data.heldout_pairs", sizes.heldout_pairs, "held-out oracle-labelled pairs", count)
      .number("data.p_correct", sizes.p_correct, "share of correct responses in the corpus", share)
      .number("data.eft_p_correct", sizes.eft_p_correct,
              "share of EFT and held-out pairs that hold the correct response", share)
      .integer("data.eft_pointwise", sizes.eft_pointwise,
               "pointwise EFT examples (judge.pointwise_template, score round(5 q))",
               optional_count)
      .integer("data.judge_prompts", sizes.judge_prompts,
               "prompts whose samples from the SFT model become judge training data (judge_sft)",
               optional_count)
      .integer("data.finish_prompts", sizes.finish_prompts,
               "prompts whose samples from the SFT model become M1's finish pairs (finish.*)",
               optional_count);
}

// The evaluation's settings, once.
void bind_eval_options(OptionBinder& bind, WorldEvalSettings& settings) {
  const OptionRange at_least_one = OptionRange::at_least(1, "an integer >= 1");
  bind.integer("eval.batch_size", settings.batch_size, "sequences a forward pass", at_least_one)
      .integer("eval.max_new_tokens", settings.max_new_tokens, "new tokens at most an answer",
               at_least_one)
      .integer("eval.own_samples", settings.own_samples,
               "samples a prompt for the judge's own-sample pairs",
               OptionRange::at_least(2, "an integer >= 2"))
      .number("eval.own_temperature", settings.own_temperature, "temperature of those samples",
              OptionRange::above(0, "a number > 0"))
      .integer("eval.seed", settings.seed, "seed of those samples")
      .number("eval.beta", settings.beta, "beta of the implicit reward",
              OptionRange::above(0, "a number > 0"));
}

}  // namespace

void declare_dataset_options(OptionSet& options) {
  world::DatasetSizes sizes;
  OptionBinder declaring = OptionBinder::declaring(options);
  bind_dataset_options(declaring, sizes);
}

world::DatasetSizes read_dataset_options(const OptionSet& options) {
  world::DatasetSizes sizes;
  OptionBinder reading = OptionBinder::reading(options);
  bind_dataset_options(reading, sizes);
  return sizes;
}

void declare_eval_options(OptionSet& options) {
  WorldEvalSettings defaults;
  OptionBinder declaring = OptionBinder::declaring(options);
  bind_eval_options(declaring, defaults);
}

WorldEvalSettings read_eval_options(const OptionSet& options) {
  WorldEvalSettings settings;
  OptionBinder reading = OptionBinder::reading(options);
  bind_eval_options(reading, settings);
  return settings;
}

}  // namespace scir::app
