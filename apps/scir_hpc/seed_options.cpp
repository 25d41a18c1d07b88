#include "seed_options.h"

#include "lora_options.h"
#include "model_shape_options.h"
#include "scir/core/option_binding.h"
#include "scir/model/precision.h"
#include "scir/tokenizer/byte_tokenizer.h"
#include "train_options.h"
#include "world_options.h"

namespace scir::app {
namespace {

// The judge stage's own-sample pairs, once.
void bind_own_eft_options(OptionBinder& bind, OwnSampleEftSettings& own_eft) {
  bind.integer("judge_sft.samples", own_eft.samples,
               "samples a judge prompt from the SFT model (pairs of them: data/eft_own.jsonl)",
               OptionRange::within(2, 64, "an integer in [2, 64]"))
      .number("judge_sft.temperature", own_eft.sampling.temperature,
              "sampling temperature of those samples", OptionRange::above(0, "a number > 0"));
}

}  // namespace

void declare_seed_options(OptionSet& options) {
  options.add_string("out", "runs/demo", "run directory")
      .add_int("seed", 0, "seed of data sets and weights")
      .add_string("dtype", "float32",
                  "precision the models load, sample and train in: float32, bfloat16 or float16 "
                  "(float32 master weights and gradient reduction, float16 with loss scaling; "
                  "checkpoints in that dtype)");
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
  LmTrainOptions judge_sft = sft;
  judge_sft.steps = 0;
  declare_train_options(options, "judge_sft.", judge_sft);
  declare_lora_options(options, "sft.");
  declare_lora_options(options, "judge_sft.");
  OwnSampleEftSettings own_eft;
  OptionBinder declaring = OptionBinder::declaring(options);
  bind_own_eft_options(declaring, own_eft);
  declare_eval_options(options);
}

SeedModelsPlan read_seed_options(const OptionSet& options) {
  SeedModelsPlan plan;
  plan.world = make_world(options).knobs();
  plan.data = read_dataset_options(options);
  plan.seed = static_cast<uint64_t>(options.get_int("seed"));
  plan.dtype = read_choice(options, "dtype", dtype_names());
  plan.model = read_model_shape_options(options, ByteTokenizer());
  plan.pretrain = read_train_options(options, "pretrain.", "pretrain");
  plan.sft = read_train_options(options, "sft.", "sft");
  plan.judge_sft = read_train_options(options, "judge_sft.", "judge_sft", 0);
  plan.sft.lora = read_lora_options(options, "sft.");
  plan.judge_sft.lora = read_lora_options(options, "judge_sft.");
  if (plan.judge_sft.lora.on() && plan.judge_sft.steps == 0)
    options.reject("judge_sft.lora_rank", "0 unless judge_sft.steps > 0 (no judge stage runs)");
  plan.eval = read_eval_options(options);
  if (plan.judge_sft.steps > 0 && plan.data.judge_prompts == 0) {
    options.reject("data.judge_prompts", "an integer > 0 when judge_sft.steps > 0");
  }
  OptionBinder reading = OptionBinder::reading(options);
  bind_own_eft_options(reading, plan.own_eft);
  plan.own_eft.sampling.max_new_tokens = plan.eval.max_new_tokens;
  plan.own_eft.sampling.seed = plan.seed;
  plan.own_eft.batch_size = plan.eval.batch_size;
  plan.pairwise_template = pairwise_template(options).source();
  plan.pointwise_template = JudgeTemplate::from_file(options.get_string("judge.pointwise_template"),
                                                     JudgeKind::kPointwise)
                                .source();
  return plan;
}

void check_seed_batches(const OptionSet& options, const SeedModelsPlan& plan, int ranks) {
  for (const LmTrainOptions* train : {&plan.pretrain, &plan.sft, &plan.judge_sft}) {
    if (train->batch_size % ranks != 0) {
      options.reject(train->label + ".batch_size", cat("a multiple of the ", ranks, " ranks"));
    }
  }
}

}  // namespace scir::app
