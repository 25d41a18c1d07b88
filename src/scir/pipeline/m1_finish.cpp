#include "scir/pipeline/m1_finish.h"

#include "scir/core/errors.h"
#include "scir/core/logging.h"
#include "scir/io/h5_group.h"
#include "scir/io/run_contract.h"
#include "scir/pipeline/self_rewarding.h"

namespace scir {

SelfRewardingPlan finish_plan(const M1FinishSettings& finish, const SelfRewardingPlan& iterations,
                              uint64_t seed) {
  SelfRewardingPlan plan;
  plan.iterations = 1;
  plan.fixed_pool = true;
  plan.scir.method = {LabelSource::kOracle, false};
  plan.oracle_pairs = finish.pairs;
  plan.samples = finish.samples;
  plan.temperature = finish.temperature;
  plan.top_p = finish.top_p;
  plan.max_new_tokens = finish.max_new_tokens;
  plan.epochs = finish.epochs;
  plan.batch_pairs = finish.batch_pairs;
  plan.lr = finish.lr;
  plan.scir.beta = finish.beta;
  plan.scir.nll_weight = finish.nll_weight;
  // "finish" in ASCII: a seed of its own, so its samples are not iteration 1's draws.
  plan.seed = seed ^ 0x66696e697368ULL;
  // The seed models' settings (M1's evaluation judges as the iterations do) and the layout.
  plan.eval = iterations.eval;
  plan.eval.beta = finish.beta;  // the implicit reward evaluated is the one trained
  plan.pairwise_template = iterations.pairwise_template;
  plan.pointwise_template = iterations.pointwise_template;
  plan.scir.pointwise_grm = iterations.scir.pointwise_grm;
  plan.tau = iterations.tau;
  plan.dtype = iterations.dtype;
  plan.parallel = iterations.parallel;
  plan.log_every = iterations.log_every;
  plan.state_every = iterations.state_every;
  plan.activation_checkpointing = iterations.activation_checkpointing;
  return plan;
}

std::string finish_m1(const ProcessGrid& grid, const RunDirectory& run, const world::World& world,
                      const SeedModels& seeds, const SelfRewardingPlan& plan) {
  Comm& job = grid.job();
  const RunDirectory finish(run.path(run_contract::kFinishDirectory));
  const std::string finished = finish.path(run_contract::iteration_checkpoint(1));
  if (run.done(job, "finish", PhaseOutputs{{finished}, {}, {run_contract::kFinishEvalGroup}})) {
    log_info("[finish] done already: " + finished);
    return finished;
  }
  log_info(cat("[finish] M1 = the SFT model after one oracle-labelled DPO iteration, in ",
               finish.root(), " (its phases are logged as iter_1)"));
  SelfRewardingInputs inputs;
  inputs.m1_dir = seeds.m1_dir;
  inputs.world = &world;
  const auto data_file = [&](const char* name) { return seeds.data_dir + "/" + name; };
  inputs.pool_paths = {data_file(run_contract::kFinishPromptsFile)};
  inputs.eval_prompts_path = data_file(run_contract::kEvalPromptsFile);
  inputs.heldout_pairs_path = data_file(run_contract::kHeldoutPairsFile);
  run_self_rewarding(grid, finish, inputs, plan);
  if (job.rank() == 0) {
    const H5Group evaluation =
        read_h5_group(finish.h5(), run_contract::iteration_group(1) + "/eval");
    write_h5_group(run.h5(), run_contract::kFinishEvalGroup, evaluation);
    run.mark_done("finish");
  }
  job.barrier();
  log_info("[finish] M1 -> " + finished);
  return finished;
}

}  // namespace scir
