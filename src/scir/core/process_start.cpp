#include "scir/core/process_start.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "scir/core/blas_kernel.h"
#include "scir/core/errors.h"
#include "scir/core/threads.h"

namespace scir {

void restart_with_tuned_environment(char** argv) {
  // A kernel the CPU cannot run would end the first BLAS call with SIGILL: refused as bad input
  // before any, one line and exit 2 (every rank says it: MPI is not up yet).
  const std::string kernel_problem = user_openblas_kernel_problem();
  if (!kernel_problem.empty()) {
    const std::string program =
        argv[0] ? std::filesystem::path(argv[0]).filename().string() : std::string("scir");
    std::cerr << program << ": error: " << kernel_problem << std::endl;
    std::exit(kExitBadInput);
  }
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
