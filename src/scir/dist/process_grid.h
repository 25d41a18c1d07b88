// The ranks of a job as a grid for tensor parallelism. Groups of `tp` consecutive ranks each
// hold one model copy cut in slices (`tensor`); the ranks that hold the same slice, one a
// copy, form a data-parallel group (`data`). Work is divided over `data` (every rank of a copy
// does the same work on its slices), model operations are collective over `tensor`, and files
// are written by the job's rank 0, which is rank 0 of both of its groups. With tp = 1 there is
// no tensor group and `data` is the job itself. Every rank computes on one device: the CPU, or its
// GPU, where the job's communicator is a DeviceComm (NCCL for the models' tensors).
#pragma once

#include <memory>

#include "scir/dist/comm.h"

namespace scir {

class ProcessGrid {
 public:
  // Collective over `job`; tp must divide job.size() (callers check the option first).
  ProcessGrid(Comm& job, int tp, torch::Device device = torch::kCPU);
  // The grid owns its job communicator (a DeviceComm over the command's).
  ProcessGrid(std::unique_ptr<Comm> job, int tp, torch::Device device);
  Comm& job() const { return *job_; }
  Comm& data() const { return data_ ? *data_ : *job_; }
  // Where this rank's models live and compute.
  torch::Device device() const { return device_; }
  // The ranks that share this rank's model copy; nullptr with tp = 1.
  Comm* tensor() const { return tensor_.get(); }
  int tp() const { return tp_; }
  // Whether this rank is its copy's first: the data group of these ranks (the one holding the
  // job's rank 0) speaks for all copies where results are gathered or written collectively.
  bool leads_copy() const { return !tensor_ || tensor_->rank() == 0; }

 private:
  std::unique_ptr<Comm> owned_job_;
  Comm* job_;
  int tp_;
  torch::Device device_;
  std::unique_ptr<Comm> tensor_, data_;
};

}  // namespace scir
