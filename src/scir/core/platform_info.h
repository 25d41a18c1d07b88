// What this process runs on: LibTorch, the BLAS under it, CUDA, and a measured sgemm rate that
// the benchmarks use as the peak for MFU.
#pragma once

#include <torch/torch.h>

#include <string>

namespace scir {

std::string torch_version();
// The shared library that provides sgemm_ (e.g. .../openblas-pthread/libblas.so.3), plus
// OpenBLAS's own configuration string when it is OpenBLAS.
std::string blas_description();
bool torch_has_cuda();
// Whether this LibTorch was built with CUDA (a GPU may still be missing).
bool torch_built_with_cuda();
std::string host_name();

// Multiplies n x n matrices of `options` (dtype, device) with LibTorch for about `seconds` and
// returns GFLOP/s (2 n^3 flops a product): on the CPU, on the threads currently set.
double measure_matmul_gflops(double seconds, int n, const torch::TensorOptions& options);
// float32 on the CPU, n = 1024: the peak of the CPU benchmarks.
double measure_sgemm_gflops(double seconds, int n = 1024);
// Waits for the work queued on `device` (nothing to wait for on the CPU).
void synchronize_device(const torch::Device& device);

}  // namespace scir
