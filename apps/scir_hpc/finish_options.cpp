#include "finish_options.h"

namespace scir::app {
namespace {

void bind_finish_options(OptionBinder& bind, M1FinishSettings& finish) {
  const OptionRange positive = OptionRange::above(0, "a number > 0");
  const OptionRange at_least_one = OptionRange::at_least(1, "an integer >= 1");
  bind.choice("finish.method", finish.enabled, {{"none", false}, {"oracle", true}},
              "M1's finish: none, or oracle (the SFT model trained by DPO on oracle-labelled "
              "pairs of its own samples to data.finish_prompts prompts becomes M1, and the SFT "
              "model iteration 1's implicit-reward reference; the positive control)")
      .choice("finish.pairs", finish.pairs, oracle_pairs_names(),
              "which samples of a finish prompt are paired")
      .integer("finish.samples", finish.samples, "responses sampled a finish prompt",
               OptionRange::within(2, 16, "an integer in [2, 16]"))
      .number("finish.temperature", finish.temperature, "sampling temperature", positive)
      .number("finish.top_p", finish.top_p, "sampling top-p",
              {0, 1, true, false, "a number in (0, 1]"})
      .integer("finish.max_new_tokens", finish.max_new_tokens, "new tokens at most a response",
               at_least_one)
      .integer("finish.epochs", finish.epochs, "epochs over the finish's pairs", at_least_one)
      .integer("finish.batch_pairs", finish.batch_pairs, "pairs a step over all ranks",
               at_least_one)
      .number("finish.lr", finish.lr, "learning rate", positive)
      .number("finish.beta", finish.beta, "beta of its DPO loss", positive)
      .number("finish.nll_weight", finish.nll_weight, "weight of the chosen responses' NLL",
              OptionRange::at_least(0, "a number >= 0"));
}

}  // namespace

const OptionNames<OraclePairs>& oracle_pairs_names() {
  static const OptionNames<OraclePairs> names = {{"all", OraclePairs::kAll},
                                                 {"best_vs_worst", OraclePairs::kBestVsWorst},
                                                 {"best_vs_rest", OraclePairs::kBestVsRest}};
  return names;
}

void declare_finish_options(OptionSet& options) {
  M1FinishSettings finish;
  OptionBinder declaring = OptionBinder::declaring(options);
  bind_finish_options(declaring, finish);
}

M1FinishSettings read_finish_options(const OptionSet& options) {
  M1FinishSettings finish;
  OptionBinder reading = OptionBinder::reading(options);
  bind_finish_options(reading, finish);
  if (!finish.enabled) {
    for (const auto& [key, value] : options.effective_values()) {
      if (key.rfind("finish.", 0) == 0 && key != "finish.method" && options.was_set(key))
        options.reject(key, "no value unless finish.method = oracle");
    }
  }
  return finish;
}

}  // namespace scir::app
