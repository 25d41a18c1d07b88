#include "scir/dist/comm.h"

#include <algorithm>

#include "scir/core/errors.h"

namespace scir {

std::vector<std::string> all_gather_strings(Comm& comm, const std::string& text) {
  auto bytes = torch::empty({static_cast<long>(text.size())}, torch::kUInt8);
  if (!text.empty()) std::memcpy(bytes.data_ptr(), text.data(), text.size());
  std::vector<std::string> texts;
  for (const torch::Tensor& part : comm.all_gather_varied(bytes)) {
    const auto* begin = static_cast<const char*>(part.data_ptr());
    texts.emplace_back(begin, begin + part.numel());
  }
  return texts;
}

void require_averageable(const torch::Tensor& tensor, ReduceOp op, const char* operation) {
  if (op == ReduceOp::kAverage && !tensor.is_floating_point()) {
    throw InternalError(cat(operation, " average needs a floating-point tensor"));
  }
}

std::pair<int64_t, int64_t> scatter_chunk(int64_t length, int rank, int size) {
  const int64_t chunk = (length + size - 1) / size;
  const int64_t begin = std::min(length, chunk * rank);
  return {begin, std::min(length, begin + chunk)};
}

double all_reduce_scalar(Comm& comm, double value, ReduceOp op) {
  auto tensor = torch::full({1}, value, torch::kFloat64);
  comm.all_reduce(tensor, op);
  return tensor.item<double>();
}

std::vector<double> all_reduce_values(Comm& comm, const std::vector<double>& values, ReduceOp op) {
  torch::Tensor tensor = torch::tensor(values, torch::kFloat64);
  comm.all_reduce(tensor, op);
  const double* reduced = tensor.data_ptr<double>();
  return {reduced, reduced + values.size()};
}

}  // namespace scir
