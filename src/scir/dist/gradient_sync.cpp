#include "scir/dist/gradient_sync.h"

#include "scir/core/errors.h"

namespace scir {
namespace {

// A parameter's gradient, or zeros when this rank's batch did not reach it (it still joins
// the sum).
torch::Tensor flat_gradient(const torch::Tensor& parameter) {
  return parameter.grad().defined() ? parameter.grad().reshape({-1})
                                    : torch::zeros({parameter.numel()}, parameter.options());
}

void average_bucket(Comm& comm, const std::vector<torch::Tensor>& parameters, size_t begin,
                    size_t end) {
  std::vector<torch::Tensor> grads;
  for (size_t i = begin; i < end; ++i) grads.push_back(flat_gradient(parameters[i]));
  torch::Tensor flat = torch::cat(grads);
  comm.all_reduce(flat, ReduceOp::kAverage);
  int64_t offset = 0;
  for (size_t i = begin; i < end; ++i) {
    const torch::Tensor& parameter = parameters[i];
    torch::Tensor slice = flat.narrow(0, offset, parameter.numel()).view(parameter.sizes());
    if (parameter.grad().defined()) {
      parameter.grad().copy_(slice);
    } else {
      const_cast<torch::Tensor&>(parameter).mutable_grad() = slice.clone();
    }
    offset += parameter.numel();
  }
}

}  // namespace

void average_gradients(Comm& comm, const std::vector<torch::Tensor>& parameters,
                       const GradientSyncOptions& options) {
  if (comm.size() == 1 || parameters.empty()) return;
  size_t begin = 0;
  int64_t filled = 0;
  for (size_t i = 0; i < parameters.size(); ++i) {
    filled += parameters[i].numel();
    if (options.bucket_elements > 0 && filled >= options.bucket_elements) {
      average_bucket(comm, parameters, begin, i + 1);
      begin = i + 1;
      filled = 0;
    }
  }
  if (begin < parameters.size()) average_bucket(comm, parameters, begin, parameters.size());
}

void broadcast_parameters(Comm& comm, const std::vector<torch::Tensor>& parameters) {
  if (comm.size() == 1) return;
  torch::NoGradGuard no_grad;
  for (const torch::Tensor& parameter : parameters) {
    torch::Tensor data = parameter.detach();
    comm.broadcast(data, 0);
  }
}

uint64_t parameters_hash(const std::vector<torch::Tensor>& parameters) {
  uint64_t hash = 1469598103934665603ULL;
  for (const torch::Tensor& parameter : parameters) {
    const torch::Tensor data = parameter.detach().contiguous().cpu();
    const auto* bytes = static_cast<const unsigned char*>(data.data_ptr());
    const size_t count = static_cast<size_t>(data.numel()) * data.element_size();
    for (size_t i = 0; i < count; ++i) hash = (hash ^ bytes[i]) * 1099511628211ULL;
  }
  return hash;
}

void check_replicas(Comm& comm, const std::vector<torch::Tensor>& parameters,
                    const std::string& where) {
  if (comm.size() == 1) return;
  const uint64_t hash = parameters_hash(parameters);
  // Two halves as int64 values: exact through any all-gather.
  torch::Tensor mine = torch::tensor(
      {static_cast<int64_t>(hash >> 32), static_cast<int64_t>(hash & 0xffffffffULL)}, torch::kLong);
  const torch::Tensor all = comm.all_gather(mine).view({comm.size(), 2});
  std::string differing;
  for (int r = 1; r < comm.size(); ++r) {
    if (!torch::equal(all[r], all[0])) differing += cat(differing.empty() ? "" : ", ", r);
  }
  if (!differing.empty()) {
    throw InternalError(cat(where, ": weights of rank(s) ", differing,
                            " differ from rank 0's (data-parallel replicas diverged)"));
  }
}

}  // namespace scir
