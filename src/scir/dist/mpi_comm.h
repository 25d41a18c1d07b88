// Collectives over MPI for CPU tensors. Tensor dtypes map to MPI types; float16 and bfloat16,
// which MPI lacks, travel as float32. Non-contiguous tensors are staged through a copy.
#pragma once

#include <mpi.h>

#include "scir/dist/comm.h"

namespace scir {

class MpiComm : public Comm {
 public:
  // The world communicator (not owned).
  static std::unique_ptr<MpiComm> world();
  ~MpiComm() override;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string backend() const override { return "mpi"; }
  MPI_Comm handle() const { return comm_; }

  void barrier() override;
  void all_reduce(torch::Tensor& tensor, ReduceOp op) override;
  void broadcast(torch::Tensor& tensor, int root) override;
  torch::Tensor all_gather(const torch::Tensor& tensor) override;
  std::vector<torch::Tensor> all_gather_varied(const torch::Tensor& tensor) override;
  torch::Tensor reduce_scatter(const torch::Tensor& tensor, ReduceOp op) override;
  std::unique_ptr<Comm> split(int color, int key) override;
  int ranks_on_host() override;

 private:
  MpiComm(MPI_Comm comm, bool owned);
  MPI_Comm comm_;
  bool owned_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace scir
