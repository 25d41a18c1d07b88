// Thread counts per rank. LibTorch (OpenMP) and OpenBLAS (its own pthreads) each keep a pool;
// both are set to the same count so ranks x threads never exceeds the cores of a host.
#pragma once

#include <string>

namespace scir {

// Cores this process may run on (its CPU affinity), at least 1.
int available_cores();
// The default per rank: the cores divided by the ranks sharing this host, at least 1.
int default_threads(int ranks_on_host);
// Applies n threads to LibTorch's intra-op pool and to OpenBLAS (when it is the BLAS in use).
void apply_threads(int n);
// Threads OpenBLAS reports, or -1 when the BLAS in use is not OpenBLAS.
int blas_threads();

}  // namespace scir
