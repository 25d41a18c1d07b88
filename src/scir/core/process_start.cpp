#include "scir/core/process_start.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "scir/core/blas_kernel.h"
#include "scir/core/threads.h"

namespace scir {

void restart_with_tuned_environment(char** argv) {
  // Both are asked, whatever the first answers: one execution serves both settings.
  const bool openmp = request_passive_openmp_wait();
  const bool blas = choose_blas_kernel();
  if (!openmp && !blas) return;
  execv("/proc/self/exe", argv);
  // Still here: the restart failed; run on with the libraries as they loaded.
  std::cerr << "scir: warning: could not restart with OMP_WAIT_POLICY and OPENBLAS_CORETYPE set ("
            << std::strerror(errno) << "); threads may spin and BLAS may run generic kernels\n";
}

}  // namespace scir
