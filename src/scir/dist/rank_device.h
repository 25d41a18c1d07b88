// Which device a rank computes on: `--device cpu`, `cuda` (one GPU a rank, the rank's place
// among the ranks of its host that see the same GPUs) or `cuda:i,j,...` (that place indexes
// the list). Ranks that see the same GPUs are those with the same host and the same
// CUDA_VISIBLE_DEVICES: a launcher that binds one GPU a rank (Slurm's --gpus-per-task) gives
// each rank its own, and each then takes its device 0.
#pragma once

#include <string>
#include <vector>

#include <torch/torch.h>

#include "scir/dist/comm.h"

namespace scir {

struct DeviceRequest {
  bool cuda = false;
  std::vector<int> indices;  // empty: the rank's place among the ranks that share its GPUs
};

// Reads "cpu", "cuda" or "cuda:i[,j...]"; anything else is an InputError saying what is
// expected (the caller names the option).
DeviceRequest parse_device_request(const std::string& text);

// The CUDA device index of `rank` given every rank's sharing key (host and visible GPUs), the
// GPUs this rank sees and the request. Fewer GPUs (or listed indices) than ranks sharing them,
// or a listed index the rank cannot see, is an InputError saying so.
int cuda_index_for_rank(const std::vector<std::string>& sharing_keys, int rank, int visible_devices,
                        const DeviceRequest& request);

// Every rank's sharing key (host and CUDA_VISIBLE_DEVICES), gathered once over the ranks that
// divide a host's GPUs (the whole job, also when a sweep splits it), and this rank's place.
struct DeviceSharing {
  std::vector<std::string> keys;
  int rank = 0;
};
DeviceSharing gather_device_sharing(Comm& comm);  // collective

// CPU for a CPU request; otherwise the rank's GPU, or an InputError when this LibTorch has no
// CUDA or this process sees no GPU.
torch::Device rank_device(const DeviceSharing& sharing, const DeviceRequest& request);

}  // namespace scir
