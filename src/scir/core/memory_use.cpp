#include "scir/core/memory_use.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#ifdef SCIR_TORCH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace scir {

int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

int64_t peak_resident_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  // Linux records the high-water mark when resident memory shrinks, so the memory resident now
  // may not be in it yet.
  return std::max(static_cast<int64_t>(usage.ru_maxrss) * 1024, resident_bytes());
}

std::string megabytes(double bytes) {
  std::ostringstream text;
  text.precision(3);
  text << bytes / (1 << 20) << " MB";
  return text.str();
}

DeviceMemory device_memory([[maybe_unused]] const torch::Device& device) {
#ifdef SCIR_TORCH_CUDA
  if (device.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
    const auto& bytes =
        stats.allocated_bytes[static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE)];
    return {bytes.current, bytes.peak};
  }
#endif
  return {};
}

void reset_device_peak([[maybe_unused]] const torch::Device& device) {
#ifdef SCIR_TORCH_CUDA
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
#endif
}

std::string memory_summary(const torch::Device& device) {
  std::string text = "resident " + megabytes(static_cast<double>(resident_bytes())) +
                     ", peak so far " + megabytes(static_cast<double>(peak_resident_bytes()));
  if (!device.is_cuda()) return text;
  const DeviceMemory gpu = device_memory(device);
  return text + "; on " + device.str() + " " + megabytes(static_cast<double>(gpu.allocated)) +
         ", peak " + megabytes(static_cast<double>(gpu.peak));
}

}  // namespace scir
