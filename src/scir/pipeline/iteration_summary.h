// An iteration's line of the table `scir_hpc run` prints at the end, read back from its
// /iter_<t>/eval record.
#pragma once

#include <string>
#include <vector>

#include "scir/eval/world_eval.h"
#include "scir/io/run_directory.h"

namespace scir {

struct IterationSummary {
  int iteration = 0;  // M(iteration + 1) was evaluated
  WorldEvaluation eval;
  double agreement_start = 0;  // GRM-IRM agreement on the pool before training (NaN: P_I is 0)
  double consistency_rate = -1, kept_share = 0;  // over the steps; -1 where no online GRM runs
  double pairs = 0;
};

// Rank 0 alone reads run.h5 (HDF5 locks a file another process writes).
IterationSummary read_iteration_summary(const RunDirectory& run, int t);

// The table: rows M1, M2, ... (M1's evaluation from /sft/eval; NaN fields print "-"), then
// each model's summary_verdict.
std::string format_summary_table(const WorldEvaluation& m1,
                                 const std::vector<IterationSummary>& iterations);

// What an iteration showed, in one line: whether M(t+1) beats M1 on the held-out prompts
// beyond the win rate's 95% interval, and the oracle quality from M1 to it.
std::string summary_verdict(const WorldEvaluation& m1, const IterationSummary& iteration);

}  // namespace scir
