#include "scir/dist/gradient_sync.h"

namespace scir {

void average_gradients(Comm& comm, const std::vector<torch::Tensor>& parameters) {
  if (comm.size() == 1) return;
  std::vector<torch::Tensor> grads;
  for (const torch::Tensor& parameter : parameters) {
    // A parameter this rank's batch did not reach still joins the sum, as zeros.
    grads.push_back(parameter.grad().defined()
                        ? parameter.grad().reshape({-1})
                        : torch::zeros({parameter.numel()}, parameter.options()));
  }
  torch::Tensor flat = torch::cat(grads);
  comm.all_reduce(flat, ReduceOp::kAverage);
  int64_t offset = 0;
  for (const torch::Tensor& parameter : parameters) {
    torch::Tensor slice = flat.narrow(0, offset, parameter.numel()).view(parameter.sizes());
    if (parameter.grad().defined()) {
      parameter.grad().copy_(slice);
    } else {
      const_cast<torch::Tensor&>(parameter).mutable_grad() = slice.clone();
    }
    offset += parameter.numel();
  }
}

void broadcast_parameters(Comm& comm, const std::vector<torch::Tensor>& parameters) {
  if (comm.size() == 1) return;
  torch::NoGradGuard no_grad;
  for (const torch::Tensor& parameter : parameters) {
    torch::Tensor data = parameter.detach();
    comm.broadcast(data, 0);
  }
}

}  // namespace scir
