// The options of `scir_hpc run` (and of each run of `scir_hpc sweep`): declared once, read into
// the library's RunJob and checked before any work, every rank agreeing.
#pragma once

#include "scir/core/config.h"
#include "scir/dist/process_grid.h"
#include "scir/pipeline/run_job.h"

namespace scir::app {

void declare_run_options(OptionSet& options);
// Every rank of `grid`'s job calls this; a bad option is one InputError on every rank.
RunJob read_run_job(const OptionSet& options, const ProcessGrid& grid);

}  // namespace scir::app
