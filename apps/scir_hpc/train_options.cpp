#include "train_options.h"

namespace scir::app {

void declare_train_options(OptionSet& options, const std::string& prefix,
                           const LmTrainOptions& defaults) {
  options.add_int(prefix + "steps", defaults.steps, "optimiser steps")
      .add_int(prefix + "batch_size", defaults.batch_size, "sequences a step over all ranks")
      .add_double(prefix + "lr", defaults.lr, "peak learning rate")
      .add_double(prefix + "min_lr_ratio", defaults.min_lr_ratio,
                  "final rate / peak (cosine decay)")
      .add_int(prefix + "warmup_steps", defaults.warmup_steps, "linear warm-up steps")
      .add_double(prefix + "weight_decay", defaults.weight_decay, "AdamW weight decay")
      .add_double(prefix + "grad_clip", defaults.grad_clip, "clip the global gradient norm to this")
      .add_string(prefix + "loss_norm", defaults.per_sequence_loss ? "sequence" : "token",
                  "token: mean over loss tokens; sequence: mean of each sequence's mean")
      .add_int(prefix + "micro_batch_size", defaults.micro_batch_size,
               "sequences a forward on a rank, sorted by length (0: the rank's whole share)")
      .add_int(prefix + "seed", 0, "seed of the data order")
      .add_int(prefix + "state_every", defaults.state_every,
               "steps between restart states inside the phase (optimiser, step, weights; 0: "
               "a rerun starts the phase over)")
      .add_int(prefix + "log_every", defaults.log_every, "steps between progress lines");
  declare_data_parallel_options(options, prefix);
}

void declare_data_parallel_options(OptionSet& options, const std::string& prefix) {
  const DataParallelSettings defaults;
  options
      .add_double(prefix + "bucket_mb", 25.0,
                  "gradient all-reduce buckets of at least this many MB of float32 (0: one)")
      .add_bool(prefix + "zero1", defaults.zero1,
                "shard the AdamW state over the ranks (ZeRO stage 1)")
      .add_int(prefix + "max_nonfinite_steps", defaults.max_nonfinite_steps,
               "steps with a non-finite gradient skipped in a row before the run stops")
      .add_bool(prefix + "check_replicas", defaults.sync.check_replicas,
                "after each step, check that every rank holds the same weights (debug)");
}

DataParallelSettings read_data_parallel_options(const OptionSet& options,
                                                const std::string& prefix) {
  DataParallelSettings parallel;
  const double megabytes = options.get_double(prefix + "bucket_mb");
  if (megabytes < 0) options.reject(prefix + "bucket_mb", "a number >= 0");
  parallel.sync.bucket_elements = static_cast<int64_t>(megabytes * (1 << 20) / sizeof(float));
  parallel.sync.check_replicas = options.get_bool(prefix + "check_replicas");
  parallel.zero1 = options.get_bool(prefix + "zero1");
  parallel.max_nonfinite_steps = static_cast<int>(options.get_int(prefix + "max_nonfinite_steps"));
  if (parallel.max_nonfinite_steps < 1)
    options.reject(prefix + "max_nonfinite_steps", "an integer >= 1");
  return parallel;
}

LmTrainOptions read_train_options(const OptionSet& options, const std::string& prefix,
                                  const std::string& label, int64_t min_steps) {
  LmTrainOptions train;
  train.label = label;
  train.steps = options.get_int(prefix + "steps");
  train.batch_size = options.get_int(prefix + "batch_size");
  train.lr = options.get_double(prefix + "lr");
  train.min_lr_ratio = options.get_double(prefix + "min_lr_ratio");
  train.warmup_steps = options.get_int(prefix + "warmup_steps");
  train.weight_decay = options.get_double(prefix + "weight_decay");
  train.grad_clip = options.get_double(prefix + "grad_clip");
  train.seed = static_cast<uint64_t>(options.get_int(prefix + "seed"));
  train.log_every = options.get_int(prefix + "log_every");
  train.micro_batch_size = options.get_int(prefix + "micro_batch_size");
  train.state_every = options.get_int(prefix + "state_every");
  if (train.state_every < 0) options.reject(prefix + "state_every", "an integer >= 0 (0: none)");
  train.parallel = read_data_parallel_options(options, prefix);
  const std::string norm = options.get_string(prefix + "loss_norm");
  if (train.steps < min_steps) options.reject(prefix + "steps", cat("an integer >= ", min_steps));
  if (train.batch_size < 1) options.reject(prefix + "batch_size", "an integer >= 1");
  if (train.lr <= 0) options.reject(prefix + "lr", "a number > 0");
  if (train.min_lr_ratio < 0 || train.min_lr_ratio > 1)
    options.reject(prefix + "min_lr_ratio", "a number in [0, 1]");
  if (train.warmup_steps < 0) options.reject(prefix + "warmup_steps", "an integer >= 0");
  if (train.weight_decay < 0) options.reject(prefix + "weight_decay", "a number >= 0");
  if (train.grad_clip <= 0) options.reject(prefix + "grad_clip", "a number > 0");
  if (train.micro_batch_size < 0)
    options.reject(prefix + "micro_batch_size", "an integer >= 0 (0: the whole share)");
  if (train.log_every < 1) options.reject(prefix + "log_every", "an integer >= 1");
  if (norm != "token" && norm != "sequence")
    options.reject(prefix + "loss_norm", "token or sequence");
  train.per_sequence_loss = norm == "sequence";
  return train;
}

}  // namespace scir::app
