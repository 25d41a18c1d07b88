#include "scir/core/platform_info.h"

#include <dlfcn.h>
#include <unistd.h>

#include <torch/torch.h>
#include <chrono>
#include <climits>
#include <cstdlib>

#include "scir/core/errors.h"

namespace scir {

std::string torch_version() {
  return cat(TORCH_VERSION_MAJOR, ".", TORCH_VERSION_MINOR, ".", TORCH_VERSION_PATCH);
}

std::string blas_description() {
  std::string library = "unknown";
  if (void* sgemm = dlsym(RTLD_DEFAULT, "sgemm_")) {
    Dl_info info{};
    if (dladdr(sgemm, &info) && info.dli_fname) {
      // Debian reaches the BLAS through an alternatives link; name the real file.
      char resolved[PATH_MAX];
      library = realpath(info.dli_fname, resolved) ? resolved : info.dli_fname;
    }
  }
  using ConfigFunction = const char* (*)();
  if (auto config = reinterpret_cast<ConfigFunction>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) {
    return library + " (" + config() + ")";
  }
  return library;
}

bool torch_has_cuda() { return torch::cuda::is_available(); }

std::string host_name() {
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

double measure_sgemm_gflops(double seconds, int n) {
  torch::NoGradGuard no_grad;
  const auto a = torch::randn({n, n});
  const auto b = torch::randn({n, n});
  auto c = torch::empty({n, n});
  torch::mm_out(c, a, b);  // warm-up: thread pools and BLAS buffers
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  long long products = 0;
  double elapsed = 0;
  do {
    torch::mm_out(c, a, b);
    ++products;
    elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  } while (elapsed < seconds);
  return 2.0 * n * static_cast<double>(n) * n * static_cast<double>(products) / elapsed / 1e9;
}

}  // namespace scir
