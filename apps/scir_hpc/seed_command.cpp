// scir_hpc seed: the embedded world's seed models in a run directory (data, M0, M1, and M1's
// evaluation), from one configuration file such as jobs/configs/demo.ini.
#include <filesystem>
#include <fstream>

#include "command.h"
#include "model_shape_options.h"
#include "scir/core/logging.h"
#include "scir/dist/agreement.h"
#include "scir/tokenizer/byte_tokenizer.h"
#include "scir/train/seed_models.h"
#include "train_options.h"
#include "world_options.h"

namespace scir::app {
namespace {

void declare(OptionSet& options) {
  options.add_required_string("out", "run directory")
      .add_int("seed", 0, "seed of data sets and weights");
  declare_world_options(options);
  declare_dataset_options(options);
  declare_model_shape_options(options);
  LmTrainOptions pretrain;
  pretrain.steps = 200;
  pretrain.batch_size = 64;
  pretrain.lr = 3e-3;
  pretrain.warmup_steps = 20;
  pretrain.log_every = 50;
  declare_train_options(options, "pretrain.", pretrain);
  LmTrainOptions sft = pretrain;
  sft.steps = 400;
  sft.lr = 2e-3;
  sft.per_sequence_loss = true;
  declare_train_options(options, "sft.", sft);
  declare_eval_options(options);
}

SeedModelsPlan read_plan(const OptionSet& options) {
  SeedModelsPlan plan;
  plan.world = make_world(options).knobs();
  plan.data = read_dataset_options(options);
  plan.seed = static_cast<uint64_t>(options.get_int("seed"));
  plan.model = read_model_shape_options(options, ByteTokenizer());
  plan.pretrain = read_train_options(options, "pretrain.", "pretrain");
  plan.sft = read_train_options(options, "sft.", "sft");
  plan.eval = read_eval_options(options);
  plan.pairwise_template = pairwise_template(options).source();
  return plan;
}

void run(const OptionSet& options, Comm& comm) {
  SeedModelsPlan plan;
  std::unique_ptr<RunDirectory> run_dir;
  agree_or_throw(comm, [&] {
    plan = read_plan(options);
    for (const LmTrainOptions* train : {&plan.pretrain, &plan.sft}) {
      if (train->batch_size % comm.size() != 0) {
        options.reject(train->label + ".batch_size",
                       cat("a multiple of the ", comm.size(), " ranks"));
      }
    }
    run_dir = std::make_unique<RunDirectory>(options.get_string("out"));
  });
  if (comm.rank() == 0) {
    std::ofstream(run_dir->path("config.ini")) << options.dump_ini();
  }
  log_open_file(run_dir->path("main.log"));
  const SeedModels seeds = build_seed_models(comm, *run_dir, plan);
  log_info(cat("seed models: M0 ", seeds.m0_dir, ", M1 ", seeds.m1_dir));
}

}  // namespace

Command seed_command() {
  return {"seed", "build the embedded world's seed models M0 and M1 in a run directory", declare,
          run};
}

}  // namespace scir::app
