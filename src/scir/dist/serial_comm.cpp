#include "scir/dist/serial_comm.h"

#include "scir/core/errors.h"

namespace scir {

void SerialComm::all_reduce(torch::Tensor& tensor, ReduceOp op) {
  require_averageable(tensor, op, "all_reduce");
}

void SerialComm::broadcast(torch::Tensor& /*tensor*/, int root) {
  if (root != 0)
    throw InternalError(cat("broadcast root ", root, " outside a 1-rank communicator"));
}

torch::Tensor SerialComm::all_gather(const torch::Tensor& tensor) {
  return tensor.unsqueeze(0).clone();
}

std::vector<torch::Tensor> SerialComm::all_gather_varied(const torch::Tensor& tensor) {
  return {tensor.clone()};
}

torch::Tensor SerialComm::reduce_scatter(const torch::Tensor& tensor, ReduceOp op) {
  require_averageable(tensor, op, "reduce_scatter");
  return tensor.clone();
}

std::unique_ptr<Comm> SerialComm::split(int /*color*/, int /*key*/) {
  return std::make_unique<SerialComm>();
}

}  // namespace scir
