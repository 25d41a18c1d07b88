#include "scir/pipeline/run_job.h"

#include <fstream>
#include <memory>

#include "scir/core/blas_kernel.h"
#include "scir/core/errors.h"
#include "scir/core/logging.h"
#include "scir/core/platform_info.h"
#include "scir/eval/evaluation_record.h"
#include "scir/io/h5_group.h"
#include "scir/io/hdf5_info.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/io/peft_adapter.h"
#include "scir/io/run_contract.h"
#include "scir/pipeline/self_rewarding.h"

namespace scir {
namespace {

// RUN/config.ini, /config and /provenance (rank 0).
void record_settings(const ProcessGrid& grid, const RunDirectory& run, const RunJob& job) {
  Comm& comm = grid.job();
  const std::vector<std::string> hosts = all_gather_strings(comm, host_name());
  if (comm.rank() != 0) return;
  std::ofstream(run.path("config.ini")) << job.config_ini;
  H5Group config;
  config.texts = job.config;
  write_h5_group(run.h5(), "/config", config);
  H5Group provenance;
  std::string host_list;
  for (const std::string& host : hosts) host_list += (host_list.empty() ? "" : ",") + host;
  provenance.texts = {{"git_sha", job.git_sha},
                      {"hosts", host_list},
                      {"libtorch_version", torch_version()},
                      {"hdf5_version", hdf5_version()},
                      // The sgemm kernel decides the float summation order, so replicates
                      // under two kernels tell how much float order alone moves a result.
                      {"blas_kernel", loaded_openblas_kernel()},
                      {"start_time", timestamp_now()},
                      {"command", "scir_hpc run"}};
  provenance.numbers = {{"ranks", static_cast<double>(comm.size())},
                        {"tensor_parallel", static_cast<double>(grid.tp())},
                        {"threads_per_rank", static_cast<double>(torch::get_num_threads())}};
  write_h5_group(run.h5(), "/provenance", provenance);
}

// The embedded world's run directory as the iterations' inputs (after the seed phases).
SelfRewardingInputs world_inputs(const world::World& world, const SeedModels& models,
                                 int iterations) {
  SelfRewardingInputs inputs;
  inputs.m0_dir = models.m0_dir;
  inputs.m1_dir = models.m1_dir;
  inputs.world = &world;
  const auto data_file = [&](const std::string& name) { return models.data_dir + "/" + name; };
  for (int t = 1; t <= std::max(1, iterations); ++t)
    inputs.pool_paths.push_back(data_file(run_contract::prompt_pool_file(t)));
  inputs.eval_prompts_path = data_file(run_contract::kEvalPromptsFile);
  inputs.heldout_pairs_path = data_file(run_contract::kHeldoutPairsFile);
  return inputs;
}

// A user's M1 with their LoRA adapter merged (RUN/ckpt/m1_adapted), written once by rank 0.
std::string merge_user_adapter(const ProcessGrid& grid, const RunDirectory& run,
                               const SelfRewardingInputs& inputs, torch::ScalarType dtype) {
  const std::string merged = run.path(run_contract::kAdaptedM1);
  if (run.done(grid.job(), "m1_adapter", merged)) return merged;
  if (grid.job().rank() == 0) {
    LoadedModel m1 = load_hf_model(inputs.m1_dir, dtype);
    merge_peft_adapter(*m1.model, inputs.m1_adapter_dir);
    save_whole_hf_model(grid.job(), merged, *m1.model, *m1.tokenizer);
    log_info(cat("[m1_adapter] ", inputs.m1_dir, " + ", inputs.m1_adapter_dir, " -> ", merged));
    run.mark_done("m1_adapter");
  }
  grid.job().barrier();
  return merged;
}

}  // namespace

void run_job(const ProcessGrid& grid, const RunJob& job) {
  const RunDirectory run(job.directory);
  record_settings(grid, run, job);
  log_open_file(run.path("main.log"));
  log_info("BLAS kernel: " + blas_kernel_description());
  std::unique_ptr<world::World> world;  // the embedded world's oracle; none for a user's M1
  SelfRewardingInputs inputs = job.inputs;
  if (!job.user_model) {
    world = std::make_unique<world::World>(job.seeds.world);
    SeedModels seeds = build_seed_models(grid, run, job.seeds);
    if (job.finish) {
      const std::string sft_model = seeds.m1_dir;
      seeds.m1_dir = finish_m1(grid, run, *world, seeds, job.finish_plan);
      seeds.m0_dir = sft_model;  // iteration 1's reference under irm_ref previous or first
    }
    inputs = world_inputs(*world, seeds, job.plan.iterations);
  } else if (!inputs.m1_adapter_dir.empty()) {
    inputs.m1_dir = merge_user_adapter(grid, run, inputs, job.plan.dtype);
  }
  const std::vector<IterationSummary> iterations = run_self_rewarding(grid, run, inputs, job.plan);
  if (grid.job().rank() != 0) return;    // rank 0 alone reads run.h5 and prints the summary
  run.mark_done("run");                  // the whole job: sweep runners skip a run marked so
  WorldEvaluation m1 = no_evaluation();  // a user's M1 has no seed evaluation: its row shows "-"
  if (!job.user_model) {
    const char* group = job.finish ? run_contract::kFinishEvalGroup : "/sft/eval";
    m1 = evaluation_from_record(read_h5_group(run.h5(), group).numbers);
    m1.win_rate_vs_m1 = 0.5;  // M1 against itself (the finish's record: against the SFT model)
    m1.win_rate_ci95 = 0.0;
  }
  log_info("summary (" + job.method + ")\n" + format_summary_table(m1, iterations));
}

}  // namespace scir
