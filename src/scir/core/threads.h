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

// LibTorch's OpenMP threads and OpenBLAS's own take turns on the same cores. By default an
// OpenMP thread spins after each parallel region and starves the OpenBLAS worker that needs its
// core: with 2 threads on 2 cores every phase ran 2-4x slower than with 1 (docs/PERFORMANCE.md).
// libgomp reads OMP_WAIT_POLICY once, while it loads, before main; so a process started without
// it sets it to passive (and executes itself again, core/process_start). A policy the user set
// is kept. Returns true when it changed the environment.
bool request_passive_openmp_wait();
// OMP_WAIT_POLICY as this process started with it ("" when unset).
std::string openmp_wait_policy();

}  // namespace scir
