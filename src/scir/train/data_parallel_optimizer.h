// The optimiser step of data-parallel training, as both trainers (next-token and SCIR) take it:
// AdamW over every rank's full state after averaging the gradients in buckets, or ZeRO-1
// (ShardedAdamW: state sharded over the ranks); clipping by the global norm (of the whole
// model under tensor parallelism) folded into the update (dist/adamw_update), and
// optionally a check that the replicas still hold the same weights. A step whose gradient norm
// is not finite is skipped (no update) and counted; max_nonfinite such steps in a row stop the
// run with a diagnostic. Parameters in a lower precision (bfloat16, float16) train through
// float32 master weights: their gradients are averaged, clipped and applied in float32, and the
// parameters are the master weights rounded after each step. float16 adds dynamic loss scaling
// (train/loss_scaler): the trainers multiply the loss by loss_scale() before the backward, the
// step divides the gradients by it, and a step that overflows is skipped with the scale halved
// (not counted towards the non-finite limit while the scale is above 1).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "scir/dist/gradient_norm.h"
#include "scir/dist/gradient_sync.h"
#include "scir/dist/sharded_adamw.h"
#include "scir/train/loss_scaler.h"

namespace scir {

// How a data-parallel step runs: gradient buckets and the replica check, ZeRO-1, and how many
// non-finite steps in a row stop the run.
struct DataParallelSettings {
  GradientSyncOptions sync;
  bool zero1 = false;
  int max_nonfinite_steps = 5;
};

class DataParallelOptimizer {
 public:
  // `tp`: the tensor-parallel group the parameters are slices of (Transformer::
  // tensor_parallel_norm), so that clipping uses the norm of the whole model.
  DataParallelOptimizer(Comm& comm, std::vector<torch::Tensor> parameters,
                        const AdamWSettings& settings, const DataParallelSettings& parallel,
                        TensorParallelNorm tp = {});
  void set_lr(double lr);
  void zero_grad();
  // Averages (or reduce-scatters) the gradients, clips them to max_norm, updates the weights;
  // returns the gradient norm before clipping. `where` names the step in errors.
  double step(double max_norm, const std::string& where);
  // Bytes of optimiser state on this rank (both AdamW moments, and master weights).
  int64_t state_bytes() const;
  // "<bytes> MB of optimiser state a rank (ZeRO-1 over R ranks | not sharded)".
  std::string describe_state() const;
  // What a rank holds as a phase starts: the optimiser state as above, the weights (bytes and
  // dtype) and the process's resident memory now and at its peak so far.
  std::string describe_memory() const;
  int64_t skipped_steps() const { return skipped_; }
  // What the trainers multiply the loss by before the backward (1 unless float16).
  double loss_scale() const { return scaler_.scale(); }
  // The optimiser state this rank holds (AdamW's moments and step counts, or its ZeRO-1
  // shard), for restarts inside a phase.
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  // One AdamW step of every float32 weight with a gradient (the parameters or their master
  // copies), the gradients scaled by grad_scale; master copies are rounded into the parameters.
  void update(std::vector<torch::Tensor>& weights, double grad_scale);

  Comm& comm_;
  std::vector<torch::Tensor> parameters_;
  GradientSyncOptions sync_;
  TensorParallelNorm tp_;
  // Without ZeRO-1: AdamW's moments, one pair a parameter, and the steps taken.
  AdamWSettings settings_;
  std::vector<torch::Tensor> m_, v_;
  // Without ZeRO-1, for lower-precision parameters: float32 master weights, one a parameter,
  // whose gradients are the parameters' in float32.
  std::vector<torch::Tensor> master_;
  int64_t steps_ = 0;
  std::unique_ptr<ShardedAdamW> sharded_;
  LossScaler scaler_;
  int max_nonfinite_;
  int64_t skipped_ = 0;
  int consecutive_ = 0;
};

}  // namespace scir
