#include "scir/core/platform_info.h"

#include <dlfcn.h>
#include <unistd.h>

#include <torch/torch.h>
#include <chrono>
#include <climits>
#include <cstdlib>

#include "scir/core/blas_symbols.h"
#include "scir/core/errors.h"

namespace scir {

std::string torch_version() {
  return cat(TORCH_VERSION_MAJOR, ".", TORCH_VERSION_MINOR, ".", TORCH_VERSION_PATCH);
}

std::string blas_description() {
  std::string library = "unknown";
  if (void* sgemm = blas_symbol<void*>("sgemm_")) {
    Dl_info info{};
    if (dladdr(sgemm, &info) && info.dli_fname) {
      // Debian reaches the BLAS through an alternatives link; name the real file.
      char resolved[PATH_MAX];
      library = realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
    }
  }
  if (auto config = blas_symbol<const char* (*)()>("openblas_get_config")) {
    return library + " (" + config() + ")";
  }
  return library;
}

bool torch_has_cuda() { return torch::cuda::is_available(); }

bool torch_built_with_cuda() {
#ifdef SCIR_TORCH_CUDA
  return true;
#else
  return false;
#endif
}

std::string host_name() {
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

void synchronize_device(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

double measure_matmul_gflops(double seconds, int n, const torch::TensorOptions& options) {
  torch::NoGradGuard no_grad;
  const auto a = torch::randn({n, n}, options);  // random values: zeros run faster on GPUs
  const auto b = torch::randn({n, n}, options);
  auto c = torch::empty({n, n}, options);
  const torch::Device device = options.device();
  torch::mm_out(c, a, b);  // warm-up: thread pools, BLAS buffers, library handles
  synchronize_device(device);
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  long long products = 0;
  double elapsed = 0;
  do {
    for (int i = 0; i < (device.is_cuda() ? 10 : 1); ++i, ++products) torch::mm_out(c, a, b);
    synchronize_device(device);
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return 2.0 * n * static_cast<double>(n) * n * static_cast<double>(products) / elapsed / 1e9;
}

double measure_sgemm_gflops(double seconds, int n) {
  return measure_matmul_gflops(seconds, n, torch::TensorOptions(torch::kFloat));
}

}  // namespace scir
