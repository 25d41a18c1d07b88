#include "seed_options.h"

#include "model_shape_options.h"
#include "scir/tokenizer/byte_tokenizer.h"
#include "train_options.h"
#include "world_options.h"

namespace scir::app {

void declare_seed_options(OptionSet& options) {
  options.add_string("out", "runs/demo", "run directory")
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

SeedModelsPlan read_seed_options(const OptionSet& options) {
  SeedModelsPlan plan;
  plan.world = make_world(options).knobs();
  plan.data = read_dataset_options(options);
  plan.seed = static_cast<uint64_t>(options.get_int("seed"));
  plan.model = read_model_shape_options(options, ByteTokenizer());
  plan.pretrain = read_train_options(options, "pretrain.", "pretrain");
  plan.sft = read_train_options(options, "sft.", "sft");
  plan.eval = read_eval_options(options);
  plan.pairwise_template = pairwise_template(options).source();
  plan.pointwise_template = JudgeTemplate::from_file(options.get_string("judge.pointwise_template"),
                                                     JudgeKind::kPointwise)
                                .source();
  return plan;
}

void check_seed_batches(const OptionSet& options, const SeedModelsPlan& plan, int ranks) {
  for (const LmTrainOptions* train : {&plan.pretrain, &plan.sft}) {
    if (train->batch_size % ranks != 0) {
      options.reject(train->label + ".batch_size", cat("a multiple of the ", ranks, " ranks"));
    }
  }
}

}  // namespace scir::app
