#include "scir/dist/serial_comm.h"

#include "scir/core/errors.h"

namespace scir {

void SerialComm::all_reduce(torch::Tensor& tensor, ReduceOp op) {
  if (op == ReduceOp::kAverage && !tensor.is_floating_point()) {
    throw InternalError("all_reduce average needs a floating-point tensor");
  }
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
  if (op == ReduceOp::kAverage && !tensor.is_floating_point()) {
    throw InternalError("reduce_scatter average needs a floating-point tensor");
  }
  return tensor.clone();
}

std::unique_ptr<Comm> SerialComm::split(int /*color*/, int /*key*/) {
  return std::make_unique<SerialComm>();
}

}  // namespace scir
