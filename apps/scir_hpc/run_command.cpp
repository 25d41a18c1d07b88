// scir_hpc run: the whole self-rewarding job (pipeline/run_job). The seed models (embedded
// world) and then T iterations of SCIR (or a baseline, by scir.method), in one run directory;
// with no options it runs the embedded demo (jobs/configs/demo.ini) into runs/demo.
// scir.iterations = 0 stops after the seed models.
#include "command.h"
#include "process_grid_options.h"
#include "run_options.h"

namespace scir::app {
namespace {

void run(const OptionSet& options, Comm& comm) {
  const std::unique_ptr<ProcessGrid> grid = make_tensor_parallel_grid(options, comm);
  run_job(*grid, read_run_job(options, *grid));
}

}  // namespace

Command run_command() {
  return {"run", "the self-rewarding job: seed models, then T iterations of SCIR or a baseline",
          declare_run_options, run};
}

}  // namespace scir::app
