// What this process holds in memory, as the operating system counts it: resident bytes now
// and the peak since the process started (getrusage; Linux counts it in KiB). On a GPU the
// measure is LibTorch's caching allocator: the bytes its tensors hold there, now and at the peak.
#pragma once

#include <cstdint>
#include <string>

#include <torch/torch.h>

namespace scir {

int64_t resident_bytes();
int64_t peak_resident_bytes();
// "12.3 MB" (2^20 bytes a MB, three significant digits).
std::string megabytes(double bytes);

// Bytes of tensors on a GPU, now and at the peak since the process started or since
// reset_device_peak; zeros for the CPU, or where LibTorch has no CUDA.
struct DeviceMemory {
  int64_t allocated = 0, peak = 0;
};
DeviceMemory device_memory(const torch::Device& device);
void reset_device_peak(const torch::Device& device);

// "resident 1.2 MB, peak so far 3.4 MB" of the process, and of the GPU's tensors where `device`
// is one.
std::string memory_summary(const torch::Device& device);

}  // namespace scir
