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

// The norm of the (already averaged) gradients of the whole model: every slice once, every
// whole copy once. Sums of squares are taken in float64; parameters without a gradient count 0.
double global_grad_norm(const std::vector<torch::Tensor>& parameters, const TensorParallelNorm& tp);

// What clipping to max_norm multiplies the gradients by (clip_grad_norm_'s rule): max_norm /
// (norm + 1e-6) when that is below 1, else 1; max_norm <= 0 is no clipping.
double clip_coefficient(double norm, double max_norm);

}  // namespace scir
