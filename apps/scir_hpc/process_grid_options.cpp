#include "process_grid_options.h"

#include "scir/dist/agreement.h"
#include "scir/dist/device_comm.h"
#include "scir/model/tensor_parallel.h"

namespace scir::app {

void declare_device_option(OptionSet& options) {
  options.add_string("device", "cpu",
                     "where each rank computes: cpu, cuda (one GPU a rank, by its place among "
                     "the ranks of its host) or cuda:i,j,... (that place picks from the list)");
}

void declare_tensor_parallel_option(OptionSet& options) {
  declare_device_option(options);
  options.add_int("tp", 1,
                  "tensor-parallel ranks a model copy (consecutive ranks; T must divide the "
                  "ranks, the heads, the MLP width and the vocabulary)");
}

namespace {

enum class Placement { kOnDevice, kHostOnly };

std::unique_ptr<ProcessGrid> make_grid(const OptionSet& options, Comm& comm,
                                       const DeviceSharing* sharing, bool read_tp,
                                       Placement placement_kind = Placement::kOnDevice) {
  const DeviceSharing placement = sharing ? *sharing : gather_device_sharing(comm);
  int tp = 1;
  torch::Device device = torch::kCPU;
  agree_or_throw(comm, [&] {
    if (read_tp) {
      const long long value = options.get_int("tp");
      if (value < 1 || comm.size() % value != 0)
        options.reject("tp", cat("a divisor of the ", comm.size(), " ranks"));
      tp = static_cast<int>(value);
    }
    try {
      device = rank_device(placement, parse_device_request(options.get_string("device")));
    } catch (const InputError& error) {
      options.reject("device", error.what());
    }
  });
  if (device.is_cpu() || placement_kind == Placement::kHostOnly)
    return std::make_unique<ProcessGrid>(comm, tp);
  return std::make_unique<ProcessGrid>(std::make_unique<DeviceComm>(comm, device.index()), tp,
                                       device);
}

}  // namespace

std::unique_ptr<ProcessGrid> make_tensor_parallel_grid(const OptionSet& options, Comm& comm,
                                                       const DeviceSharing* sharing) {
  return make_grid(options, comm, sharing, true);
}

std::unique_ptr<ProcessGrid> check_tensor_parallel_grid(const OptionSet& options, Comm& comm,
                                                        const DeviceSharing* sharing) {
  return make_grid(options, comm, sharing, true, Placement::kHostOnly);
}

std::unique_ptr<ProcessGrid> make_device_grid(const OptionSet& options, Comm& comm) {
  return make_grid(options, comm, nullptr, false);
}

void check_tensor_parallel_shape(const OptionSet& options, const ModelConfig& config, int tp) {
  const std::string indivisible = indivisible_dimension(config, tp);
  if (!indivisible.empty()) options.reject("tp", cat("a divisor of the model's ", indivisible));
}

}  // namespace scir::app
