#include "scir/core/threads.h"

#include <sched.h>
#include <unistd.h>

#include <cstdlib>

#include <torch/torch.h>

#include "scir/core/blas_symbols.h"
#include "scir/core/errors.h"

namespace scir {
int available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int count = CPU_COUNT(&set);
    if (count > 0) return count;
  }
  return 1;
}

int default_threads(int ranks_on_host) {
  const int per_rank = available_cores() / std::max(1, ranks_on_host);
  return std::max(1, per_rank);
}

void apply_threads(int n) {
  if (n < 1) throw InternalError(cat("apply_threads: ", n, " threads"));
  torch::set_num_threads(n);
  if (auto set_blas = blas_symbol<void (*)(int)>("openblas_set_num_threads")) set_blas(n);
}

int blas_threads() {
  auto get_blas = blas_symbol<int (*)()>("openblas_get_num_threads");
  return get_blas ? get_blas() : -1;
}

bool request_passive_openmp_wait() {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return false;
  setenv("OMP_WAIT_POLICY", "passive", 1);
  return true;
}

std::string openmp_wait_policy() {
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  return policy ? policy : "";
}

}  // namespace scir
