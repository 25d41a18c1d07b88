#include "world_options.h"

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
  return world::World(knobs);
}

JudgeTemplate pairwise_template(const OptionSet& options) {
  return JudgeTemplate::from_file(options.get_string("judge.pairwise_template"),
                                  JudgeKind::kPairwise);
}

void declare_dataset_options(OptionSet& options) {
  const world::DatasetSizes sizes;
  options.add_int("data.corpus", sizes.corpus, "base corpus examples (M0)")
      .add_int("data.ift", sizes.ift, "seed IFT examples")
      .add_int("data.eft_pairs", sizes.eft_pairs, "seed EFT pairs (each in both orders)")
      .add_int("data.pool", sizes.pool, "prompts a self-rewarding iteration")
      .add_int("data.iterations", sizes.iterations, "prompt pools to write")
      .add_int("data.eval_prompts", sizes.eval_prompts, "held-out evaluation prompts")
      .add_int("data.heldout_pairs", sizes.heldout_pairs, "held-out oracle-labelled pairs")
      .add_double("data.p_correct", sizes.p_correct, "share of correct responses in the corpus")
      .add_double("data.eft_p_correct", sizes.eft_p_correct,
                  "share of EFT and held-out pairs that hold the correct response")
      .add_int("data.eft_pointwise", sizes.eft_pointwise,
               "pointwise EFT examples (judge.pointwise_template, score round(5 q))")
      .add_int("data.judge_prompts", sizes.judge_prompts,
               "prompts whose samples from the SFT model become judge training data "
               "(judge_sft)");
}

world::DatasetSizes read_dataset_options(const OptionSet& options) {
  world::DatasetSizes sizes;
  const std::pair<const char*, int*> counts[] = {{"data.corpus", &sizes.corpus},
                                                 {"data.ift", &sizes.ift},
                                                 {"data.eft_pairs", &sizes.eft_pairs},
                                                 {"data.pool", &sizes.pool},
                                                 {"data.iterations", &sizes.iterations},
                                                 {"data.eval_prompts", &sizes.eval_prompts},
                                                 {"data.heldout_pairs", &sizes.heldout_pairs}};
  for (const auto& [key, target] : counts) {
    const long long value = options.get_int(key);
    if (value < 1 || value > 10'000'000) options.reject(key, "an integer in [1, 10000000]");
    *target = static_cast<int>(value);
  }
  sizes.p_correct = options.get_double("data.p_correct");
  if (sizes.p_correct < 0 || sizes.p_correct > 1) {
    options.reject("data.p_correct", "a number in [0, 1]");
  }
  sizes.eft_p_correct = options.get_double("data.eft_p_correct");
  if (sizes.eft_p_correct < 0 || sizes.eft_p_correct > 1) {
    options.reject("data.eft_p_correct", "a number in [0, 1]");
  }
  const std::pair<const char*, int*> optional_counts[] = {
      {"data.eft_pointwise", &sizes.eft_pointwise}, {"data.judge_prompts", &sizes.judge_prompts}};
  for (const auto& [key, target] : optional_counts) {
    const long long value = options.get_int(key);
    if (value < 0 || value > 10'000'000) options.reject(key, "an integer in [0, 10000000]");
    *target = static_cast<int>(value);
  }
  return sizes;
}

void declare_eval_options(OptionSet& options) {
  const WorldEvalSettings defaults;
  options.add_int("eval.batch_size", defaults.batch_size, "sequences a forward pass")
      .add_int("eval.max_new_tokens", defaults.max_new_tokens, "new tokens at most an answer")
      .add_int("eval.own_samples", defaults.own_samples,
               "samples a prompt for the judge's own-sample pairs")
      .add_double("eval.own_temperature", defaults.own_temperature, "temperature of those samples")
      .add_int("eval.seed", 0, "seed of those samples")
      .add_double("eval.beta", defaults.beta, "beta of the implicit reward");
}

WorldEvalSettings read_eval_options(const OptionSet& options) {
  WorldEvalSettings settings;
  settings.batch_size = options.get_int("eval.batch_size");
  settings.max_new_tokens = options.get_int("eval.max_new_tokens");
  settings.own_samples = static_cast<int>(options.get_int("eval.own_samples"));
  settings.own_temperature = options.get_double("eval.own_temperature");
  settings.seed = static_cast<uint64_t>(options.get_int("eval.seed"));
  settings.beta = options.get_double("eval.beta");
  if (settings.batch_size < 1) options.reject("eval.batch_size", "an integer >= 1");
  if (settings.max_new_tokens < 1) options.reject("eval.max_new_tokens", "an integer >= 1");
  if (settings.own_samples < 2) options.reject("eval.own_samples", "an integer >= 2");
  if (settings.own_temperature <= 0) options.reject("eval.own_temperature", "a number > 0");
  if (settings.beta <= 0) options.reject("eval.beta", "a number > 0");
  return settings;
}

}  // namespace scir::app
