#include "scir/dist/device_comm.h"

#include "scir/dist/serial_comm.h"

#ifdef SCIR_HAVE_NCCL
#include "scir/dist/nccl_comm.h"
#endif

namespace scir {
namespace {

std::unique_ptr<Comm> device_communicator(Comm& host, [[maybe_unused]] int cuda_index) {
  // One rank: every collective is the identity, done where the tensor is.
  if (host.size() == 1) return std::make_unique<SerialComm>();
#ifdef SCIR_HAVE_NCCL
  return std::make_unique<NcclComm>(host, cuda_index);
#else
  return nullptr;
#endif
}

// A host communicator's operation on a CUDA tensor: through a CPU copy and back.
bool needs_staging(const torch::Tensor& tensor, const std::unique_ptr<Comm>& device) {
  return !device && tensor.is_cuda();
}

}  // namespace

DeviceComm::DeviceComm(Comm& host, int cuda_index)
    : host_(&host), device_(device_communicator(host, cuda_index)), cuda_index_(cuda_index) {}

DeviceComm::DeviceComm(std::unique_ptr<Comm> owned_host, int cuda_index)
    : owned_host_(std::move(owned_host)),
      host_(owned_host_.get()),
      device_(device_communicator(*host_, cuda_index)),
      cuda_index_(cuda_index) {}

DeviceComm::~DeviceComm() = default;

std::string DeviceComm::backend() const {
  return device_ ? host_->backend() + "+" + device_->backend() : host_->backend();
}

Comm& DeviceComm::for_tensor(const torch::Tensor& tensor) {
  return device_ && tensor.is_cuda() ? *device_ : *host_;
}

void DeviceComm::barrier() {
  if (device_)
    device_->barrier();  // waits for the GPU's queued collectives, then the host's
  else
    host_->barrier();
}

void DeviceComm::all_reduce(torch::Tensor& tensor, ReduceOp op) {
  if (!needs_staging(tensor, device_)) return for_tensor(tensor).all_reduce(tensor, op);
  torch::Tensor staged = tensor.cpu();
  host_->all_reduce(staged, op);
  tensor.copy_(staged);
}

void DeviceComm::broadcast(torch::Tensor& tensor, int root) {
  if (!needs_staging(tensor, device_)) return for_tensor(tensor).broadcast(tensor, root);
  torch::Tensor staged = tensor.cpu();
  host_->broadcast(staged, root);
  tensor.copy_(staged);
}

torch::Tensor DeviceComm::all_gather(const torch::Tensor& tensor) {
  if (!needs_staging(tensor, device_)) return for_tensor(tensor).all_gather(tensor);
  return host_->all_gather(tensor.cpu()).to(tensor.device());
}

std::vector<torch::Tensor> DeviceComm::all_gather_varied(const torch::Tensor& tensor) {
  if (!needs_staging(tensor, device_)) return for_tensor(tensor).all_gather_varied(tensor);
  std::vector<torch::Tensor> parts = host_->all_gather_varied(tensor.cpu());
  for (torch::Tensor& part : parts) part = part.to(tensor.device());
  return parts;
}

torch::Tensor DeviceComm::reduce_scatter(const torch::Tensor& tensor, ReduceOp op) {
  if (!needs_staging(tensor, device_)) return for_tensor(tensor).reduce_scatter(tensor, op);
  return host_->reduce_scatter(tensor.cpu(), op).to(tensor.device());
}

std::unique_ptr<Comm> DeviceComm::split(int color, int key) {
  return std::unique_ptr<Comm>(new DeviceComm(host_->split(color, key), cuda_index_));
}

}  // namespace scir
