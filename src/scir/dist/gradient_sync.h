// Data-parallel gradient averaging: every rank's gradients are replaced by the mean over ranks.
// Gradients travel in buckets: consecutive parameters are packed into one flat buffer until it
// holds at least bucket_elements values (a larger parameter goes alone), so no copy of all
// gradients at once is needed and each message has a bounded size.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "scir/dist/comm.h"

namespace scir {

struct GradientSyncOptions {
  int64_t bucket_elements = 0;  // 0: one bucket for all gradients
  bool check_replicas = false;  // after each step, check that every rank holds the same weights
};

void average_gradients(Comm& comm, const std::vector<torch::Tensor>& parameters,
                       const GradientSyncOptions& options = {});
// Makes every rank's parameters equal to rank 0's.
void broadcast_parameters(Comm& comm, const std::vector<torch::Tensor>& parameters);
// A hash of the parameters' bytes (FNV-1a), the same for equal weights on any rank.
uint64_t parameters_hash(const std::vector<torch::Tensor>& parameters);
// Throws an InternalError naming `where` and the ranks when the ranks' weights differ (data
// parallelism must keep the replicas identical).
void check_replicas(Comm& comm, const std::vector<torch::Tensor>& parameters,
                    const std::string& where);

}  // namespace scir
