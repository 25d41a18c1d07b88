// The self-rewarding iterations (METHOD.md section 2): M(t+1) = train(M(t)) on pairs of M(t)'s
// own samples, for t = 1..T. An iteration is five phases, each in its own file, each ending
// with its output in run.h5 (or RUN/ckpt) and its DONE marker, so that a rerun skips what is
// finished and the train phase goes on from its newest restart state:
//   generate  -> reference -> label -> train -> evaluate
#pragma once

#include <vector>

#include "scir/dist/process_grid.h"
#include "scir/io/run_directory.h"
#include "scir/pipeline/iteration_summary.h"
#include "scir/pipeline/self_rewarding_plan.h"

namespace scir {

// Runs iterations 1..T from M1 (M0 is the first reference under irm_ref = previous). Without a
// world there is no oracle: no quality, win rate or oracle columns (NaN), and reward accuracy
// only on the labelled pairs given. Every rank of the grid's job calls this; with a tensor
// group the models are cut over it and the model copies divide the prompts and pairs (restart
// states inside a train phase need tp = 1). The summaries are rank 0's (read from run.h5).
std::vector<IterationSummary> run_self_rewarding(const ProcessGrid& grid, const RunDirectory& run,
                                                 const SelfRewardingInputs& inputs,
                                                 const SelfRewardingPlan& plan);

}  // namespace scir
