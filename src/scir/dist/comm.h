// The communicator every distributed piece of scir_hpc talks to. MpiComm moves CPU tensors,
// NcclComm CUDA tensors, SerialComm stands for a single process; callers never know which.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/torch.h>

namespace scir {

enum class ReduceOp { kSum, kAverage, kMax, kMin };

class Comm {
 public:
  virtual ~Comm() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;

  virtual void barrier() = 0;
  // In place on every rank. kAverage needs a floating-point tensor.
  virtual void all_reduce(torch::Tensor& tensor, ReduceOp op) = 0;
  // In place: every rank ends with root's values (shapes must already match).
  virtual void broadcast(torch::Tensor& tensor, int root) = 0;
  // Equal shapes on every rank; returns [size, ...shape] in rank order.
  virtual torch::Tensor all_gather(const torch::Tensor& tensor) = 0;
  // Tensors whose first dimension differs between ranks (zero rows allowed; the other
  // dimensions must match). Returns one tensor per rank, in rank order.
  virtual std::vector<torch::Tensor> all_gather_varied(const torch::Tensor& tensor) = 0;
  // A 1-D tensor of the same length L on every rank, cut into `size` consecutive chunks of
  // ceil(L / size) elements (the last ones shorter, possibly empty): returns this rank's chunk
  // reduced over the ranks. Moves half the bytes of an all-reduce.
  virtual torch::Tensor reduce_scatter(const torch::Tensor& tensor, ReduceOp op) = 0;
  // Ranks with the same color form a new communicator, ordered by key (then by rank).
  virtual std::unique_ptr<Comm> split(int color, int key) = 0;
  // Ranks of this communicator that share the calling process's host.
  virtual int ranks_on_host() = 0;
};

// Helpers built on the interface.
// kAverage of a non-floating-point tensor is an InternalError naming `operation`.
void require_averageable(const torch::Tensor& tensor, ReduceOp op, const char* operation);
// [begin, end) of rank's chunk when `length` elements are cut as reduce_scatter cuts them.
std::pair<int64_t, int64_t> scatter_chunk(int64_t length, int rank, int size);
std::vector<std::string> all_gather_strings(Comm& comm, const std::string& text);
double all_reduce_scalar(Comm& comm, double value, ReduceOp op);
// Several numbers reduced element by element in one collective.
std::vector<double> all_reduce_values(Comm& comm, const std::vector<double>& values, ReduceOp op);

}  // namespace scir
