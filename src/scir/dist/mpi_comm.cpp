#include "scir/dist/mpi_comm.h"

#include <climits>

#include "scir/core/errors.h"
#include "scir/dist/collective_watchdog.h"

namespace scir {
namespace {

void check(int code, const char* operation) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw InternalError(cat(operation, " failed: ", std::string(text, length)));
}

bool needs_float_staging(const torch::Tensor& tensor) {
  return tensor.scalar_type() == torch::kHalf || tensor.scalar_type() == torch::kBFloat16;
}

MPI_Datatype mpi_type(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat:
      return MPI_FLOAT;
    case torch::kDouble:
      return MPI_DOUBLE;
    case torch::kInt:
      return MPI_INT32_T;
    case torch::kLong:
      return MPI_INT64_T;
    case torch::kShort:
      return MPI_INT16_T;
    case torch::kChar:
      return MPI_INT8_T;
    case torch::kByte:
    case torch::kBool:
      return MPI_UINT8_T;
    default:
      throw InternalError(cat("no MPI type for tensor dtype ", type));
  }
}

MPI_Op mpi_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kAverage:
      return MPI_SUM;
    case ReduceOp::kMax:
      return MPI_MAX;
    case ReduceOp::kMin:
      return MPI_MIN;
  }
  return MPI_SUM;
}

int mpi_count(int64_t elements, const char* operation) {
  if (elements > INT_MAX) {
    throw InternalError(cat(operation, ": ", elements, " elements exceed one MPI message"));
  }
  return static_cast<int>(elements);
}

// A contiguous CPU tensor MPI can write into; finish() copies it back into the caller's tensor
// when it had to be staged.
class Staged {
 public:
  explicit Staged(torch::Tensor& target) : target_(target) {
    if (!target.device().is_cpu()) throw InternalError("MpiComm needs CPU tensors");
    buffer_ = needs_float_staging(target) ? target.to(torch::kFloat) : target.contiguous();
  }
  torch::Tensor& buffer() { return buffer_; }
  void finish() {
    if (!buffer_.is_same(target_)) target_.copy_(buffer_);
  }

 private:
  torch::Tensor& target_;
  torch::Tensor buffer_;
};

torch::Tensor sendable(const torch::Tensor& tensor) {
  if (!tensor.device().is_cpu()) throw InternalError("MpiComm needs CPU tensors");
  return needs_float_staging(tensor) ? tensor.to(torch::kFloat) : tensor.contiguous();
}

}  // namespace

std::unique_ptr<MpiComm> MpiComm::world() {
  return std::unique_ptr<MpiComm>(new MpiComm(MPI_COMM_WORLD, false));
}

MpiComm::MpiComm(MPI_Comm comm, bool owned) : comm_(comm), owned_(owned) {
  check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
}

MpiComm::~MpiComm() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (owned_ && !finalized) MPI_Comm_free(&comm_);
}

void MpiComm::barrier() {
  const CollectiveWatchdog::Watch watch("barrier");
  check(MPI_Barrier(comm_), "MPI_Barrier");
}

void MpiComm::all_reduce(torch::Tensor& tensor, ReduceOp op) {
  const CollectiveWatchdog::Watch watch("all_reduce");
  require_averageable(tensor, op, "all_reduce");
  Staged staged(tensor);
  torch::Tensor& buffer = staged.buffer();
  check(MPI_Allreduce(MPI_IN_PLACE, buffer.data_ptr(), mpi_count(buffer.numel(), "all_reduce"),
                      mpi_type(buffer.scalar_type()), mpi_op(op), comm_),
        "MPI_Allreduce");
  if (op == ReduceOp::kAverage) buffer.div_(size_);
  staged.finish();
}

void MpiComm::broadcast(torch::Tensor& tensor, int root) {
  const CollectiveWatchdog::Watch watch("broadcast");
  Staged staged(tensor);
  torch::Tensor& buffer = staged.buffer();
  check(MPI_Bcast(buffer.data_ptr(), mpi_count(buffer.numel(), "broadcast"),
                  mpi_type(buffer.scalar_type()), root, comm_),
        "MPI_Bcast");
  staged.finish();
}

torch::Tensor MpiComm::all_gather(const torch::Tensor& tensor) {
  const CollectiveWatchdog::Watch watch("all_gather");
  const torch::Tensor send = sendable(tensor);
  std::vector<int64_t> shape{size_};
  for (int64_t extent : send.sizes()) shape.push_back(extent);
  torch::Tensor gathered = torch::empty(shape, send.options());
  const int count = mpi_count(send.numel(), "all_gather");
  check(MPI_Allgather(send.data_ptr(), count, mpi_type(send.scalar_type()), gathered.data_ptr(),
                      count, mpi_type(send.scalar_type()), comm_),
        "MPI_Allgather");
  return gathered.to(tensor.scalar_type());
}

std::vector<torch::Tensor> MpiComm::all_gather_varied(const torch::Tensor& tensor) {
  const CollectiveWatchdog::Watch watch("all_gather_varied");
  const torch::Tensor send = sendable(tensor);
  const int64_t rows = send.dim() == 0 ? 1 : send.size(0);
  std::vector<int64_t> row_shape(send.sizes().begin() + (send.dim() == 0 ? 0 : 1),
                                 send.sizes().end());
  int64_t declared_row = 1;
  for (int64_t extent : row_shape) declared_row *= extent;

  // Every rank learns every rank's row count and row size; rows must agree in size.
  torch::Tensor counts = torch::tensor({rows, declared_row}, torch::kLong);
  torch::Tensor all_counts = all_gather(counts);
  auto table = all_counts.accessor<int64_t, 2>();
  std::vector<int> element_counts(size_), displacements(size_);
  int64_t total_rows = 0;
  int64_t offset = 0;
  for (int r = 0; r < size_; ++r) {
    if (table[r][1] != declared_row) {
      throw InternalError(cat("all_gather_varied: rank ", r, " sends rows of ", table[r][1],
                              " elements, rank ", rank_, " rows of ", declared_row));
    }
    element_counts[r] = mpi_count(table[r][0] * declared_row, "all_gather_varied");
    displacements[r] = mpi_count(offset, "all_gather_varied");
    offset += table[r][0] * declared_row;
    total_rows += table[r][0];
  }
  std::vector<int64_t> gathered_shape{total_rows};
  gathered_shape.insert(gathered_shape.end(), row_shape.begin(), row_shape.end());
  torch::Tensor gathered = torch::empty(gathered_shape, send.options());
  const MPI_Datatype type = mpi_type(send.scalar_type());
  check(MPI_Allgatherv(send.data_ptr(), element_counts[rank_], type, gathered.data_ptr(),
                       element_counts.data(), displacements.data(), type, comm_),
        "MPI_Allgatherv");

  std::vector<torch::Tensor> parts;
  int64_t first_row = 0;
  for (int r = 0; r < size_; ++r) {
    parts.push_back(gathered.narrow(0, first_row, table[r][0]).to(tensor.scalar_type()));
    first_row += table[r][0];
  }
  if (send.dim() == 0) {
    for (auto& part : parts) part = part.reshape({});
  }
  return parts;
}

torch::Tensor MpiComm::reduce_scatter(const torch::Tensor& tensor, ReduceOp op) {
  const CollectiveWatchdog::Watch watch("reduce_scatter");
  require_averageable(tensor, op, "reduce_scatter");
  if (tensor.dim() != 1) throw InternalError("reduce_scatter needs a 1-D tensor");
  const torch::Tensor send = sendable(tensor);
  std::vector<int> counts(size_);
  for (int r = 0; r < size_; ++r) {
    const auto [begin, end] = scatter_chunk(send.numel(), r, size_);
    counts[r] = mpi_count(end - begin, "reduce_scatter");
  }
  torch::Tensor mine = torch::empty({counts[rank_]}, send.options());
  check(MPI_Reduce_scatter(send.data_ptr(), mine.data_ptr(), counts.data(),
                           mpi_type(send.scalar_type()), mpi_op(op), comm_),
        "MPI_Reduce_scatter");
  if (op == ReduceOp::kAverage) mine.div_(size_);
  return mine.to(tensor.scalar_type());
}

std::unique_ptr<Comm> MpiComm::split(int color, int key) {
  const CollectiveWatchdog::Watch watch("split");
  MPI_Comm part = MPI_COMM_NULL;
  check(MPI_Comm_split(comm_, color, key, &part), "MPI_Comm_split");
  MPI_Comm_set_errhandler(part, MPI_ERRORS_RETURN);
  return std::unique_ptr<Comm>(new MpiComm(part, true));
}

int MpiComm::ranks_on_host() {
  const CollectiveWatchdog::Watch watch("ranks_on_host");
  MPI_Comm host = MPI_COMM_NULL;
  check(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &host),
        "MPI_Comm_split_type");
  int count = 1;
  MPI_Comm_size(host, &count);
  MPI_Comm_free(&host);
  return count;
}

}  // namespace scir
