// The communicator of a single process: every collective is the identity.
#pragma once

#include "scir/dist/comm.h"

namespace scir {

class SerialComm : public Comm {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "serial"; }
  void barrier() override {}
  void all_reduce(torch::Tensor& tensor, ReduceOp op) override;
  void broadcast(torch::Tensor& tensor, int root) override;
  torch::Tensor all_gather(const torch::Tensor& tensor) override;
  std::vector<torch::Tensor> all_gather_varied(const torch::Tensor& tensor) override;
  torch::Tensor reduce_scatter(const torch::Tensor& tensor, ReduceOp op) override;
  std::unique_ptr<Comm> split(int color, int key) override;
  int ranks_on_host() override { return 1; }
};

}  // namespace scir
