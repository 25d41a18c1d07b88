// scir_hpc sweep GRID: a whole grid in one MPI job. The ranks are split into groups of
// [sweep] ranks (or --ranks-per-run); group g runs configurations g, g + groups, ... one after
// another, each the job of `scir_hpc run` (pipeline/run_job) on the group's communicator,
// skipping runs marked finished, into the same directories as jobs/sweeps/sweep.py.
#include "command.h"
#include "process_grid_options.h"
#include "run_options.h"
#include "scir/core/logging.h"
#include "scir/dist/agreement.h"
#include "scir/dist/collective_watchdog.h"
#include "scir/io/run_directory.h"
#include "scir/io/sweep_grid.h"

namespace scir::app {
namespace {

void declare(OptionSet& options) {
  options.add_required_string("grid", "grid file (INI: [sweep], [grid], [fixed])")
      .add_int("ranks-per-run", 0, "ranks a configuration (0: the grid's [sweep] ranks)");
}

// One run's options as `scir_hpc run` would read them: the grid's config file, its directory,
// then the run's own options.
void parse_run_options(const SweepGrid& grid, const SweepRun& sweep_run, OptionSet& run_options) {
  declare_run_options(run_options);
  std::vector<std::string> args = {"--config", grid.config, "--out", sweep_run.directory};
  for (const auto& [key, value] : sweep_run.options) {
    args.push_back("--" + key);
    args.push_back(value);
  }
  run_options.parse(args);
}

void run(const OptionSet& options, Comm& comm) {
  SweepGrid grid;
  std::vector<SweepRun> runs;
  int per_run = 0;
  agree_or_throw(comm, [&] {
    grid = SweepGrid::from_file(options.get_string("grid"));
    runs = grid.expand();
    per_run = static_cast<int>(options.get_int("ranks-per-run"));
    if (per_run == 0) per_run = grid.ranks;
    if (per_run < 1 || comm.size() % per_run != 0) {
      options.reject("ranks-per-run",
                     cat("a divisor of the ", comm.size(), " ranks (the ranks of one run)"));
    }
  });
  // Ranks divide their host's GPUs over the whole job, whichever group runs them.
  const DeviceSharing sharing = gather_device_sharing(comm);
  const int groups = comm.size() / per_run;
  const int group = comm.rank() / per_run;
  std::unique_ptr<Comm> mine = comm.split(group, comm.rank());
  // Every run of the grid is checked, as its group would check it, before the first starts: a
  // bad value in the last run must not cost the hours of the runs before it.
  agree_or_throw(comm, [&] {
    for (const SweepRun& sweep_run : runs) {
      OptionSet run_options("run");
      parse_run_options(grid, sweep_run, run_options);
      read_run_job(run_options, *check_tensor_parallel_grid(run_options, *mine, &sharing));
    }
  });
  log_set_rank(mine->rank(), mine->size());  // each group's first rank logs its runs
  for (size_t i = static_cast<size_t>(group); i < runs.size(); i += static_cast<size_t>(groups)) {
    const SweepRun& sweep_run = runs[i];
    if (RunDirectory(sweep_run.directory).done(*mine, "run")) {
      log_info(cat("[sweep] ", sweep_run.directory, ": finished already, skipped"));
      continue;
    }
    log_info(cat("[sweep] run ", i + 1, "/", runs.size(), " on ranks ", group * per_run, "-",
                 group * per_run + per_run - 1, ": ", sweep_run.directory));
    OptionSet run_options("run");
    parse_run_options(grid, sweep_run, run_options);
    const std::unique_ptr<ProcessGrid> process_grid =
        make_tensor_parallel_grid(run_options, *mine, &sharing);
    run_job(*process_grid, read_run_job(run_options, *process_grid));
    log_close_file();  // the next run opens its own main.log
  }
  log_set_rank(comm.rank(), comm.size());
  // A group that finished its share may wait here for hours: a wait, not a hang.
  CollectiveWatchdog::instance().configure(0, "");
  comm.barrier();  // every group done
}

}  // namespace

Command sweep_command() {
  return {"sweep",
          "a grid of runs in one MPI job: the ranks split into groups, each running its share",
          declare, run};
}

}  // namespace scir::app
