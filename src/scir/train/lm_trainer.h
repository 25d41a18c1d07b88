// Next-token training (pretraining and SFT): AdamW, warm-up + cosine schedule, gradient
// clipping, data parallel over the ranks of a communicator. Every example is a
// PromptResponse whose response tokens carry the loss: SFT masks the prompt; pretraining puts
// all text after BOS in the response. Lengths are counted in steps, never in seconds.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "scir/dist/comm.h"
#include "scir/io/h5_group.h"
#include "scir/model/lora_adapter.h"
#include "scir/model/sequence_logprobs.h"
#include "scir/train/data_parallel_optimizer.h"
#include "scir/train/lr_schedule.h"

namespace scir {

struct LmTrainOptions {
  int64_t steps = 100;
  int64_t batch_size = 32;  // sequences a step over all ranks (a multiple of the rank count)
  double lr = 1e-3;
  double min_lr_ratio = 0.1;
  int64_t warmup_steps = 10;
  double weight_decay = 0.0;
  double grad_clip = 1.0;
  double adam_beta1 = 0.9;
  double adam_beta2 = 0.95;
  uint64_t seed = 0;
  int64_t log_every = 25;
  // token: the loss is the mean over all loss tokens of the batch; sequence: the mean over
  // sequences of each one's mean, so a one-token judge verdict weighs as much as a long answer.
  bool per_sequence_loss = false;
  // Sequences a forward pass on a rank (0: the rank's whole share of the batch). A rank sorts
  // its share by length and runs it in chunks of this size, accumulating gradients: the step
  // is the same, and each chunk is padded only to its own longest sequence.
  int64_t micro_batch_size = 0;
  DataParallelSettings parallel;  // buckets, replica check, ZeRO-1, non-finite steps
  // Restart states (train/training_state) every state_every steps under state_dir (0 or an
  // empty directory: none); a rerun goes on from the newest complete one.
  int64_t state_every = 0;
  std::string state_dir;
  std::string label = "train";            // prefix of progress lines
  bool activation_checkpointing = false;  // recompute each layer in the backward
  // LoRA (rank > 0): the caller attaches the adapter (pipeline/lora_training) and passes it in.
  LoraSettings lora;
};

struct LmStepMetrics {
  std::vector<double> step, loss, lr, grad_norm, tokens, tokens_per_s;
  // The columns of an HDF5 /<phase>/steps group.
  H5Group as_h5_group() const;
  // The same columns by name, both ways (restart states).
  std::map<std::string, std::vector<double>> columns() const;
  static LmStepMetrics from_columns(const std::map<std::string, std::vector<double>>& columns);
};

// Trains in place: the model's weights, or with `adapter` only the adapter's, the model frozen
// under it. `on_step(step)` runs after each optimiser step (checkpoints). Returns the per-step
// metrics, identical on every rank (reduced over ranks).
LmStepMetrics train_language_model(Transformer& model, Comm& comm,
                                   const std::vector<PromptResponse>& examples,
                                   const LmTrainOptions& options, int64_t pad_id,
                                   const std::function<void(int64_t)>& on_step = nullptr,
                                   LoraAdapter* adapter = nullptr);

// The examples' order: a fresh permutation of all examples every epoch, from (seed, epoch),
// the same on every rank; batches run through it back to back across epochs.
class BatchSampler {
 public:
  BatchSampler(size_t example_count, uint64_t seed) : count_(example_count), seed_(seed) {}
  // The global batch of `step` (0-based).
  std::vector<size_t> batch(int64_t step, int64_t batch_size);

 private:
  const std::vector<size_t>& permutation(uint64_t epoch);
  size_t count_;
  uint64_t seed_;
  uint64_t cached_epoch_ = ~0ULL;
  std::vector<size_t> cached_;
};

}  // namespace scir
