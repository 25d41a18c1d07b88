#include "scir/dist/nccl_comm.h"

#include <cstring>

#include "scir/core/errors.h"
#include "scir/dist/collective_watchdog.h"

namespace scir {
namespace {

void check_nccl(ncclResult_t result, const char* operation) {
  if (result != ncclSuccess) {
    throw InternalError(cat(operation, " failed: ", ncclGetErrorString(result)));
  }
}

void check_cuda(cudaError_t result, const char* operation) {
  if (result != cudaSuccess) {
    throw InternalError(cat(operation, " failed: ", cudaGetErrorString(result)));
  }
}

ncclDataType_t nccl_type(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat:
      return ncclFloat32;
    case torch::kDouble:
      return ncclFloat64;
    case torch::kHalf:
      return ncclFloat16;
    case torch::kBFloat16:
      return ncclBfloat16;
    case torch::kInt:
      return ncclInt32;
    case torch::kLong:
      return ncclInt64;
    case torch::kChar:
      return ncclInt8;
    case torch::kByte:
    case torch::kBool:
      return ncclUint8;
    default:
      throw InternalError(cat("no NCCL type for tensor dtype ", type));
  }
}

ncclRedOp_t nccl_op(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum:
      return ncclSum;
    case ReduceOp::kAverage:
      return ncclAvg;
    case ReduceOp::kMax:
      return ncclMax;
    case ReduceOp::kMin:
      return ncclMin;
  }
  return ncclSum;
}

void require_cuda(const torch::Tensor& tensor) {
  if (!tensor.is_cuda()) throw InternalError("NcclComm needs CUDA tensors");
}

}  // namespace

int NcclComm::visible_devices() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) return 0;
  return count;
}

NcclComm::NcclComm(Comm& bootstrap, int device) { initialise(bootstrap, device); }

NcclComm::NcclComm(std::unique_ptr<Comm> owned_bootstrap, int device)
    : owned_bootstrap_(std::move(owned_bootstrap)) {
  initialise(*owned_bootstrap_, device);
}

void NcclComm::initialise(Comm& bootstrap, int device) {
  bootstrap_ = &bootstrap;
  rank_ = bootstrap.rank();
  size_ = bootstrap.size();
  if (device < 0 || device >= visible_devices())
    throw InternalError(cat("NcclComm: no CUDA device ", device, " visible"));
  device_ = device;
  check_cuda(cudaSetDevice(device_), "cudaSetDevice");

  ncclUniqueId id;
  if (rank_ == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  auto id_bytes = torch::empty({static_cast<long>(sizeof id)}, torch::kUInt8);
  std::memcpy(id_bytes.data_ptr(), &id, sizeof id);
  bootstrap.broadcast(id_bytes, 0);
  std::memcpy(&id, id_bytes.data_ptr(), sizeof id);
  const CollectiveWatchdog::Watch watch("ncclCommInitRank");
  check_nccl(ncclCommInitRank(&comm_, size_, id, rank_), "ncclCommInitRank");
  check_cuda(cudaStreamCreate(&stream_), "cudaStreamCreate");
}

NcclComm::~NcclComm() {
  if (stream_) cudaStreamDestroy(stream_);
  if (comm_) ncclCommDestroy(comm_);
}

void NcclComm::synchronise(const char* operation) {
  check_cuda(cudaStreamSynchronize(stream_), operation);
}

void NcclComm::barrier() {
  const CollectiveWatchdog::Watch watch("nccl barrier");
  synchronise("barrier");
  bootstrap_->barrier();
}

void NcclComm::all_reduce(torch::Tensor& tensor, ReduceOp op) {
  const CollectiveWatchdog::Watch watch("nccl all_reduce");
  require_cuda(tensor);
  require_averageable(tensor, op, "all_reduce");
  torch::Tensor buffer = tensor.contiguous();
  check_nccl(ncclAllReduce(buffer.data_ptr(), buffer.data_ptr(), buffer.numel(),
                           nccl_type(buffer.scalar_type()), nccl_op(op), comm_, stream_),
             "ncclAllReduce");
  synchronise("ncclAllReduce");
  if (!buffer.is_same(tensor)) tensor.copy_(buffer);
}

void NcclComm::broadcast(torch::Tensor& tensor, int root) {
  const CollectiveWatchdog::Watch watch("nccl broadcast");
  require_cuda(tensor);
  torch::Tensor buffer = tensor.contiguous();
  check_nccl(ncclBroadcast(buffer.data_ptr(), buffer.data_ptr(), buffer.numel(),
                           nccl_type(buffer.scalar_type()), root, comm_, stream_),
             "ncclBroadcast");
  synchronise("ncclBroadcast");
  if (!buffer.is_same(tensor)) tensor.copy_(buffer);
}

torch::Tensor NcclComm::all_gather(const torch::Tensor& tensor) {
  const CollectiveWatchdog::Watch watch("nccl all_gather");
  require_cuda(tensor);
  const torch::Tensor send = tensor.contiguous();
  std::vector<int64_t> shape{size_};
  for (int64_t extent : send.sizes()) shape.push_back(extent);
  torch::Tensor gathered = torch::empty(shape, send.options());
  check_nccl(ncclAllGather(send.data_ptr(), gathered.data_ptr(), send.numel(),
                           nccl_type(send.scalar_type()), comm_, stream_),
             "ncclAllGather");
  synchronise("ncclAllGather");
  return gathered;
}

std::vector<torch::Tensor> NcclComm::all_gather_varied(const torch::Tensor& tensor) {
  const CollectiveWatchdog::Watch watch("nccl all_gather_varied");
  require_cuda(tensor);
  // Row counts travel over MPI; rows are padded to the largest count for one NCCL gather.
  const torch::Tensor send = tensor.dim() == 0 ? tensor.reshape({1}) : tensor.contiguous();
  auto counts = torch::tensor({send.size(0)}, torch::kLong);
  const torch::Tensor all_counts = bootstrap_->all_gather(counts).reshape({size_});
  const int64_t most = all_counts.max().item<int64_t>();
  std::vector<int64_t> padded_shape(send.sizes().begin(), send.sizes().end());
  padded_shape[0] = most;
  torch::Tensor padded = torch::zeros(padded_shape, send.options());
  padded.narrow(0, 0, send.size(0)).copy_(send);
  const torch::Tensor gathered = all_gather(padded);
  std::vector<torch::Tensor> parts;
  for (int r = 0; r < size_; ++r) {
    torch::Tensor part = gathered[r].narrow(0, 0, all_counts[r].item<int64_t>());
    parts.push_back(tensor.dim() == 0 ? part.reshape({}) : part);
  }
  return parts;
}

torch::Tensor NcclComm::reduce_scatter(const torch::Tensor& tensor, ReduceOp op) {
  const CollectiveWatchdog::Watch watch("nccl reduce_scatter");
  require_cuda(tensor);
  require_averageable(tensor, op, "reduce_scatter");
  // NCCL cuts equal chunks: pad to size x chunk, then keep this rank's real elements.
  const int64_t length = tensor.numel();
  const int64_t chunk = scatter_chunk(length, 0, size_).second;  // rank 0's chunk is a full one
  // A tensor of whole chunks (ShardedAdamW pads its gradients so) goes as it is.
  torch::Tensor padded = tensor.reshape({-1}).contiguous();
  if (length != chunk * size_) {
    padded = torch::zeros({chunk * size_}, tensor.options());
    padded.narrow(0, 0, length).copy_(tensor.reshape({-1}));
  }
  torch::Tensor mine = torch::empty({chunk}, tensor.options());
  check_nccl(ncclReduceScatter(padded.data_ptr(), mine.data_ptr(), chunk,
                               nccl_type(tensor.scalar_type()), nccl_op(op), comm_, stream_),
             "ncclReduceScatter");
  synchronise("ncclReduceScatter");
  const auto [begin, end] = scatter_chunk(length, rank_, size_);
  return mine.narrow(0, 0, end - begin);
}

std::unique_ptr<Comm> NcclComm::split(int color, int key) {
  return std::unique_ptr<Comm>(new NcclComm(bootstrap_->split(color, key), device_));
}

}  // namespace scir
