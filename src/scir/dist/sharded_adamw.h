// AdamW with its state sharded over the data-parallel ranks (ZeRO stage 1): the parameters,
// flattened in order, are cut into one contiguous shard a rank; each rank keeps the moments of
// its shard only, so optimiser state per rank falls with the rank count. A step averages the
// gradients over the ranks with a reduce-scatter (each rank receives its shard's average only),
// clips by the global norm, updates the local shard
// with PyTorch's AdamW rule (decoupled weight decay, bias-corrected moments), and all-gathers
// the updated shards into every rank's parameters. Parameters in a lower precision (bfloat16)
// train through float32 master weights: each rank keeps its shard of them, gradients are
// reduced in float32, and the gathered update is rounded into the parameters.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "scir/dist/comm.h"
#include "scir/dist/gradient_norm.h"
#include "scir/optim/adamw_update.h"

namespace scir {

class ShardedAdamW {
 public:
  // `tp`: the tensor-parallel group the parameters are slices of, for the clipping norm.
  ShardedAdamW(Comm& comm, std::vector<torch::Tensor> parameters, AdamWSettings settings,
               TensorParallelNorm tp = {});
  void set_lr(double lr) { settings_.lr = lr; }
  // Uses each rank's own (not yet averaged) gradients; returns the global gradient norm before
  // clipping to max_norm (max_norm <= 0: no clipping). A non-finite norm leaves the weights
  // and the state as they were (every rank sees the same norm, so all skip alike). The
  // gradients are multiplied by `unscale` first (the inverse of a float16 loss scale).
  double step(double max_norm, double unscale = 1.0);
  // Bytes of optimiser state (both moments, and master weights) this rank holds.
  int64_t state_bytes() const;
  // This rank's shard of the state (moments and step count), for restarts.
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  // This rank's shard of the flattened parameters, as `dtype` (copied from the parameters that
  // overlap it, never a flat copy of the whole model).
  torch::Tensor flat_shard(torch::ScalarType dtype) const;
  // Every parameter's gradient in float32, one flat vector padded with zeros to whole chunks of
  // the ranks (so a reduce-scatter cuts it without a copy); each parameter's own gradient is
  // released once copied, and a missing one counts as zeros.
  torch::Tensor flat_gradients();

  Comm& comm_;
  std::vector<torch::Tensor> parameters_;
  AdamWSettings settings_;
  int64_t total_ = 0, begin_ = 0, end_ = 0;  // this rank's shard [begin, end) of the flat index
  torch::Tensor m_, v_;                      // moments of the shard
  torch::Tensor master_;  // float32 master weights of the shard (lower-precision parameters)
  TensorParallelNorm tp_;
  torch::Tensor norm_weights_;  // TensorParallelNorm::weight of each value of the shard
  int64_t steps_ = 0;
};

}  // namespace scir
