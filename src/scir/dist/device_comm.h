// The communicator of a job whose models live on GPUs: CUDA tensors travel over NCCL, CPU
// tensors and control (barriers, splits, the numbers the host reduces) over the host
// communicator (MPI), chosen operation by operation by where the tensor is. Callers keep
// talking to one Comm. Without NCCL in the build, CUDA tensors are staged through the host.
#pragma once

#include <memory>

#include "scir/dist/comm.h"

namespace scir {

class DeviceComm : public Comm {
 public:
  // Collective over `host`, which must outlive this communicator; `cuda_index` is the GPU this
  // rank computes on (NCCL's device).
  DeviceComm(Comm& host, int cuda_index);
  ~DeviceComm() override;

  int rank() const override { return host_->rank(); }
  int size() const override { return host_->size(); }
  std::string backend() const override;

  void barrier() override;
  void all_reduce(torch::Tensor& tensor, ReduceOp op) override;
  void broadcast(torch::Tensor& tensor, int root) override;
  torch::Tensor all_gather(const torch::Tensor& tensor) override;
  std::vector<torch::Tensor> all_gather_varied(const torch::Tensor& tensor) override;
  torch::Tensor reduce_scatter(const torch::Tensor& tensor, ReduceOp op) override;
  std::unique_ptr<Comm> split(int color, int key) override;
  int ranks_on_host() override { return host_->ranks_on_host(); }

 private:
  DeviceComm(std::unique_ptr<Comm> owned_host, int cuda_index);
  // NCCL for a CUDA tensor where the build has it; the host communicator otherwise.
  Comm& for_tensor(const torch::Tensor& tensor);

  std::unique_ptr<Comm> owned_host_;
  Comm* host_;
  // NcclComm (SerialComm on one rank); null without NCCL, when CUDA tensors are staged.
  std::unique_ptr<Comm> device_;
  int cuda_index_;
};

}  // namespace scir
