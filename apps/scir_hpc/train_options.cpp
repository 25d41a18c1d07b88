#include "train_options.h"

#include "scir/core/option_binding.h"

namespace scir::app {
namespace {

// The options of next-token training under `prefix`, once: `min_steps` is the least step count
// a reading accepts.
void bind_train_options(OptionBinder& bind, const std::string& prefix, LmTrainOptions& train,
                        int64_t min_steps) {
  const OptionRange not_negative_integer = OptionRange::at_least(0, "an integer >= 0");
  bind.integer(
          prefix + "steps", train.steps, "optimiser steps",
          OptionRange::at_least(static_cast<double>(min_steps), cat("an integer >= ", min_steps)))
      .integer(prefix + "batch_size", train.batch_size, "sequences a step over all ranks",
               OptionRange::at_least(1, "an integer >= 1"))
      .number(prefix + "lr", train.lr, "peak learning rate", OptionRange::above(0, "a number > 0"))
      .number(prefix + "min_lr_ratio", train.min_lr_ratio, "final rate / peak (cosine decay)",
              OptionRange::within(0, 1, "a number in [0, 1]"))
      .integer(prefix + "warmup_steps", train.warmup_steps, "linear warm-up steps",
               not_negative_integer)
      .number(prefix + "weight_decay", train.weight_decay, "AdamW weight decay",
              OptionRange::at_least(0, "a number >= 0"))
      .number(prefix + "grad_clip", train.grad_clip, "clip the global gradient norm to this",
              OptionRange::above(0, "a number > 0"))
      .choice(prefix + "loss_norm", train.per_sequence_loss, {{"token", false}, {"sequence", true}},
              "token: mean over loss tokens; sequence: mean of each sequence's mean")
      .integer(prefix + "micro_batch_size", train.micro_batch_size,
               "sequences a forward on a rank, sorted by length (0: the rank's whole share)",
               OptionRange::at_least(0, "an integer >= 0 (0: the whole share)"))
      .integer(prefix + "seed", train.seed, "seed of the data order")
      .integer(prefix + "state_every", train.state_every,
               "steps between restart states inside the phase (optimiser, step, weights; 0: a "
               "rerun starts the phase over)",
               OptionRange::at_least(0, "an integer >= 0 (0: none)"))
      .integer(prefix + "log_every", train.log_every, "steps between progress lines",
               OptionRange::at_least(1, "an integer >= 1"))
      .flag(prefix + "activation_checkpointing", train.activation_checkpointing,
            "keep only each decoder layer's input and recompute the layer in the backward (less "
            "memory, one more forward)");
}

// The data-parallel step's options under `prefix`; `bucket_mb` holds the bucket size in MB.
void bind_data_parallel_options(OptionBinder& bind, const std::string& prefix,
                                DataParallelSettings& parallel, double& bucket_mb) {
  bind.number(prefix + "bucket_mb", bucket_mb,
              "gradient all-reduce buckets of at least this many MB of float32 (0: one)",
              OptionRange::at_least(0, "a number >= 0"))
      .flag(prefix + "zero1", parallel.zero1, "shard the AdamW state over the ranks (ZeRO stage 1)")
      .integer(prefix + "max_nonfinite_steps", parallel.max_nonfinite_steps,
               "steps with a non-finite gradient skipped in a row before the run stops",
               OptionRange::at_least(1, "an integer >= 1"))
      .flag(prefix + "check_replicas", parallel.sync.check_replicas,
            "after each step, check that every rank holds the same weights (debug)");
}

constexpr double kDefaultBucketMb = 25.0;

}  // namespace

void declare_train_options(OptionSet& options, const std::string& prefix,
                           const LmTrainOptions& defaults) {
  LmTrainOptions train = defaults;
  train.seed = 0;
  OptionBinder declaring = OptionBinder::declaring(options);
  bind_train_options(declaring, prefix, train, 0);
  declare_data_parallel_options(options, prefix);
}

void declare_data_parallel_options(OptionSet& options, const std::string& prefix) {
  DataParallelSettings defaults;
  double bucket_mb = kDefaultBucketMb;
  OptionBinder declaring = OptionBinder::declaring(options);
  bind_data_parallel_options(declaring, prefix, defaults, bucket_mb);
}

DataParallelSettings read_data_parallel_options(const OptionSet& options,
                                                const std::string& prefix) {
  DataParallelSettings parallel;
  double bucket_mb = kDefaultBucketMb;
  OptionBinder reading = OptionBinder::reading(options);
  bind_data_parallel_options(reading, prefix, parallel, bucket_mb);
  parallel.sync.bucket_elements = static_cast<int64_t>(bucket_mb * (1 << 20) / sizeof(float));
  return parallel;
}

LmTrainOptions read_train_options(const OptionSet& options, const std::string& prefix,
                                  const std::string& label, int64_t min_steps) {
  LmTrainOptions train;
  train.label = label;
  OptionBinder reading = OptionBinder::reading(options);
  bind_train_options(reading, prefix, train, min_steps);
  train.parallel = read_data_parallel_options(options, prefix);
  return train;
}

}  // namespace scir::app
