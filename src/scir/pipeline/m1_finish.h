// M1's finish (finish.method = oracle), the positive control of docs/METHOD.md section 6: the
// SFT model M1 is trained one more step, by DPO on oracle-labelled pairs of its own samples to
// data/finish_prompts.jsonl, and that model is the M1 the iterations start from, with the SFT
// model as iteration 1's implicit-reward reference (M0's place). The implicit reward then holds
// what the oracle taught before iteration 1, the regime in which SCIR's premise (an informative
// implicit reward on the model's own samples) holds by construction.
// The step is one oracle iteration of the self-rewarding pipeline in its own run directory,
// RUN/finish, with its own recipe (finish.*), so that it depends on no option of the iterations.
#pragma once

#include <string>

#include "scir/data/world/world.h"
#include "scir/dist/process_grid.h"
#include "scir/io/run_directory.h"
#include "scir/pipeline/seed_models.h"
#include "scir/pipeline/self_rewarding_plan.h"

namespace scir {

struct M1FinishSettings {
  bool enabled = false;
  OraclePairs pairs = OraclePairs::kBestVsRest;
  int samples = 8;
  double temperature = 1.0;
  double top_p = 1.0;
  int64_t max_new_tokens = 24;
  int epochs = 2;
  int64_t batch_pairs = 32;
  double lr = 3e-4;
  double beta = 0.3;
  double nll_weight = 1.0;
};

// The finish's plan: the settings above, and from the iterations' plan only what cannot change
// the finish's result or belongs to the seed models (evaluation, judge templates and scir.grm,
// precision, layout, logging, restart states). Its random streams derive from the seed and
// "finish", never the iterations' streams.
SelfRewardingPlan finish_plan(const M1FinishSettings& finish, const SelfRewardingPlan& iterations,
                              uint64_t seed);

// Runs the finish unless it is done (marker RUN/.done/finish, outputs checked), writes the
// finished model's evaluation to run.h5 /finish/eval, and returns that model's directory.
// Every rank of the grid's job calls this.
std::string finish_m1(const ProcessGrid& grid, const RunDirectory& run, const world::World& world,
                      const SeedModels& seeds, const SelfRewardingPlan& plan);

}  // namespace scir
