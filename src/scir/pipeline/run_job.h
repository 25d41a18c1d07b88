// The whole job of `scir_hpc run` (and of each run of `scir_hpc sweep`), in one run directory:
// the settings and provenance recorded (RUN/config.ini, run.h5 /config and /provenance), the
// seed models of the embedded world (or a user's M1), T self-rewarding iterations, and the
// summary table, after which the run is marked finished (.done/run).
#pragma once

#include <map>
#include <string>

#include "scir/dist/process_grid.h"
#include "scir/pipeline/m1_finish.h"
#include "scir/pipeline/seed_models.h"
#include "scir/pipeline/self_rewarding_plan.h"

namespace scir {

struct RunJob {
  std::string directory;                      // RUN
  std::string config_ini;                     // every option as INI text, for RUN/config.ini
  std::map<std::string, std::string> config;  // every option's value, for /config
  std::string git_sha;                        // of the build, for /provenance
  std::string method;                         // named in the summary's heading
  SelfRewardingPlan plan;
  bool user_model = false;     // true: `inputs` holds a user's M1 and prompt files
  SelfRewardingInputs inputs;  // with user_model
  SeedModelsPlan seeds;        // without: the embedded world's seed models
  bool finish = false;         // M1's finish (world only): M1 = the finish's model
  SelfRewardingPlan finish_plan;
};

// Every rank of the grid's job calls this with the same job (checked already).
void run_job(const ProcessGrid& grid, const RunJob& job);

}  // namespace scir
