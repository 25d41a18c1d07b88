// Data-parallel gradient averaging: every rank's gradients are replaced by the mean over ranks,
// in one all-reduce of a flat buffer (the bucketed version comes with the scale-out work).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "scir/dist/comm.h"

namespace scir {

void average_gradients(Comm& comm, const std::vector<torch::Tensor>& parameters);
// Makes every rank's parameters equal to rank 0's.
void broadcast_parameters(Comm& comm, const std::vector<torch::Tensor>& parameters);

}  // namespace scir
