// Collectives over NCCL for CUDA tensors, bootstrapped over a CPU communicator (MPI in a job,
// SerialComm for one process): rank 0 creates the unique id and broadcasts it. Compiled where
// the CUDA toolkit and NCCL are found (SCIR_HAVE_NCCL).
// Each operation runs on the communicator's own stream and is synchronised before it returns,
// so it is ordered after and before LibTorch's work on the legacy default stream; the collective
// watchdog marks it as it marks MpiComm's, so a stuck NCCL call ends the job with the same report.
#pragma once

#include <cuda_runtime.h>
#include <nccl.h>

#include "scir/dist/comm.h"

namespace scir {

class NcclComm : public Comm {
 public:
  // Creates one NCCL communicator over the ranks of `bootstrap`, each on its GPU `device`
  // (dist/rank_device chooses it). `bootstrap` must outlive this communicator.
  NcclComm(Comm& bootstrap, int device);
  ~NcclComm() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "nccl"; }
  int device() const { return device_; }

  void barrier() override;
  void all_reduce(torch::Tensor& tensor, ReduceOp op) override;
  void broadcast(torch::Tensor& tensor, int root) override;
  torch::Tensor all_gather(const torch::Tensor& tensor) override;
  std::vector<torch::Tensor> all_gather_varied(const torch::Tensor& tensor) override;
  torch::Tensor reduce_scatter(const torch::Tensor& tensor, ReduceOp op) override;
  std::unique_ptr<Comm> split(int color, int key) override;
  int ranks_on_host() override { return bootstrap_->ranks_on_host(); }

  // Number of CUDA devices visible to this process (0 without a GPU or driver).
  static int visible_devices();

 private:
  NcclComm(std::unique_ptr<Comm> owned_bootstrap, int device);
  void initialise(Comm& bootstrap, int device);
  void synchronise(const char* operation);

  std::unique_ptr<Comm> owned_bootstrap_;
  Comm* bootstrap_ = nullptr;
  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  int rank_ = 0;
  int size_ = 1;
  int device_ = 0;
};

}  // namespace scir
