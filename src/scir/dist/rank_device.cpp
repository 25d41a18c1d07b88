#include "scir/dist/rank_device.h"

#include <algorithm>
#include <cstdlib>

#include "scir/core/errors.h"
#include "scir/core/platform_info.h"

namespace scir {
namespace {

const char kExpected[] = "cpu, cuda (one GPU a rank) or cuda:i,j,... (the GPUs of a host's ranks)";

int parse_index(const std::string& text) {
  if (text.empty() || text.size() > 4 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw InputError(kExpected);
  return std::stoi(text);
}

}  // namespace

DeviceRequest parse_device_request(const std::string& text) {
  if (text == "cpu") return {};
  if (text == "cuda") return {true, {}};
  const std::string prefix = "cuda:";
  if (text.rfind(prefix, 0) != 0) throw InputError(kExpected);
  DeviceRequest request{true, {}};
  size_t start = prefix.size();
  while (true) {
    const size_t comma = text.find(',', start);
    request.indices.push_back(parse_index(text.substr(start, comma - start)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return request;
}

int cuda_index_for_rank(const std::vector<std::string>& sharing_keys, int rank, int visible_devices,
                        const DeviceRequest& request) {
  const std::string& mine = sharing_keys.at(rank);
  const int place =
      static_cast<int>(std::count(sharing_keys.begin(), sharing_keys.begin() + rank, mine));
  const int sharing = static_cast<int>(std::count(sharing_keys.begin(), sharing_keys.end(), mine));
  if (request.indices.empty()) {
    if (sharing > visible_devices) {
      throw InputError(
          cat("one GPU a rank: ", sharing, " ranks on this host see ", visible_devices, " GPU(s)"));
    }
    return place;
  }
  if (sharing > static_cast<int>(request.indices.size())) {
    throw InputError(cat("one listed GPU a rank: ", sharing, " ranks on this host, ",
                         request.indices.size(), " listed"));
  }
  const int index = request.indices[place];
  if (index >= visible_devices) {
    throw InputError(cat("GPUs among the ", visible_devices, " this rank sees (indices below ",
                         visible_devices, "; ", index, " listed)"));
  }
  return index;
}

DeviceSharing gather_device_sharing(Comm& comm) {
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  return {all_gather_strings(comm, host_name() + "\n" + (visible ? visible : "(all)")),
          comm.rank()};
}

torch::Device rank_device(const DeviceSharing& sharing, const DeviceRequest& request) {
  if (!request.cuda) return torch::kCPU;
  if (!torch_has_cuda()) {
    throw InputError(cat("a GPU this process can see (none: LibTorch ", torch_version(),
                         torch_built_with_cuda() ? " with" : " without", " CUDA)"));
  }
  const int devices = static_cast<int>(torch::cuda::device_count());
  return {torch::kCUDA, static_cast<c10::DeviceIndex>(
                            cuda_index_for_rank(sharing.keys, sharing.rank, devices, request))};
}

}  // namespace scir
