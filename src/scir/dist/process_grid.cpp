#include "scir/dist/process_grid.h"

#include "scir/core/errors.h"

namespace scir {

ProcessGrid::ProcessGrid(Comm& job, int tp, torch::Device device)
    : job_(&job), tp_(tp), device_(device) {
  if (tp < 1 || job.size() % tp != 0)
    throw InternalError(cat("ProcessGrid: ", tp, " does not divide the ", job.size(), " ranks"));
  if (tp == 1) return;
  tensor_ = job.split(job.rank() / tp, job.rank());
  data_ = job.split(job.rank() % tp, job.rank());
}

ProcessGrid::ProcessGrid(std::unique_ptr<Comm> job, int tp, torch::Device device)
    : ProcessGrid(*job, tp, device) {
  owned_job_ = std::move(job);
}

}  // namespace scir
