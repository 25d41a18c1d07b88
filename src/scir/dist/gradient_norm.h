// The global gradient norm of data-parallel (and tensor-parallel) training, and clipping by it.
// Under tensor parallelism each rank holds slices of most weights and whole copies of the
// others (the norms); the norm of the whole model sums every slice once and every whole copy
// once, so clipping scales all ranks' gradients by the same factor, the one a single rank
// holding the whole model would use.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "scir/dist/comm.h"

namespace scir {

struct TensorParallelNorm {
  Comm* group = nullptr;         // the tensor-parallel group; nullptr: no tensor parallelism
  std::vector<bool> replicated;  // per parameter: every rank of the group holds it whole
  // The share of each squared gradient this rank adds to the group's sum: 1 for a slice, and
  // for a whole copy 1 on the group's rank 0 and 0 elsewhere.
  double weight(size_t parameter) const;
};

// Sums `local_squares` (this rank's weighted sum of squared gradients) over the group.
double tensor_parallel_norm_squares(const TensorParallelNorm& tp, double local_squares);

// Clips the (already averaged) gradients of `parameters` to max_norm by the norm of the whole
// model; returns that norm before clipping. Without a group this is PyTorch's clip_grad_norm_.
double clip_global_grad_norm(const std::vector<torch::Tensor>& parameters, double max_norm,
                             const TensorParallelNorm& tp);

}  // namespace scir
