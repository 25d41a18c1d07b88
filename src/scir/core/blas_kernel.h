// The OpenBLAS kernel a process runs. OpenBLAS picks its kernels from the CPU model while it
// loads, and a model newer than the library gets the generic ones: Debian's 0.3.21 runs Prescott
// (SSE3) kernels on Emerald Rapids, a quarter of the sgemm rate of its SkylakeX kernels. So each
// scir process picks the best kernel the CPU's features run, sets OPENBLAS_CORETYPE and executes
// itself again (OpenBLAS reads the variable only while loading), then checks a small sgemm
// against a plain loop before it keeps the choice. A user's own OPENBLAS_CORETYPE always wins.
#pragma once

#include <optional>
#include <string>

namespace scir {

// The x86-64 features that tell OpenBLAS's kernels apart (each usable: the CPU has it and the
// operating system saves its registers).
struct CpuFeatures {
  bool avx = false, avx2 = false, fma = false;
  bool avx512f = false, avx512cd = false, avx512bw = false, avx512dq = false, avx512vl = false;
  bool avx512_bf16 = false;
};
CpuFeatures detect_cpu_features();

// The best OpenBLAS x86-64 kernel these features run: Cooperlake, SkylakeX, Haswell or
// Sandybridge; "" when none of them runs (OpenBLAS's own choice is then as good as any).
std::string best_openblas_kernel(const CpuFeatures& features);
// How capable an OpenBLAS kernel name is, for comparing OpenBLAS's own choice with the best:
// 0 for the generic and unknown ones, 1 Sandybridge, 2 Haswell and Zen, 3 SkylakeX and
// Cooperlake (the same float32 kernels). A kernel below the best one's level is replaced.
int openblas_kernel_level(const std::string& name);

// Why this CPU cannot run the OpenBLAS kernel `name` (its instructions would end the process
// with SIGILL): one line naming OPENBLAS_CORETYPE, what the kernel needs and the kernels the CPU
// runs; "" when it runs, or for a kernel whose needs scir does not know.
std::string openblas_kernel_problem(const std::string& name, const CpuFeatures& features);
// The same for the user's OPENBLAS_CORETYPE in this process's environment ("" when unset, or
// set by scir's own choice).
std::string user_openblas_kernel_problem();

// The environment the choice reads and writes. `coretype` is OPENBLAS_CORETYPE; the others are
// scir's own notes to the process it executes: the kernel it requested, OpenBLAS's own choice
// before that, and why a requested kernel was refused.
struct BlasKernelEnvironment {
  std::optional<std::string> coretype, requested, openblas_choice, refused;
};
BlasKernelEnvironment read_blas_kernel_environment();

// What a process does at its start, given the environment, the kernel OpenBLAS loaded and the CPU.
struct BlasKernelPlan {
  enum class Action {
    kKeep,     // run on: the user's setting, a refused choice, or nothing better to pick
    kRequest,  // set OPENBLAS_CORETYPE to `kernel` and execute again
    kVerify,   // this process runs the requested kernel: check it before keeping it
  };
  Action action = Action::kKeep;
  std::string kernel;
};
BlasKernelPlan plan_blas_kernel(const BlasKernelEnvironment& environment,
                                const std::string& loaded_kernel, const CpuFeatures& features);

// The kernel OpenBLAS runs in this process ("" when the BLAS is not OpenBLAS).
std::string loaded_openblas_kernel();

// sgemm of a few odd shapes (edges of every blocking) against a float64 loop; "" when they agree
// within float32 rounding of the sums, else what differed. `sgemm` has the Fortran BLAS
// interface; nullptr checks the process's own sgemm_.
using SgemmFunction = void (*)(const char*, const char*, const int*, const int*, const int*,
                               const float*, const float*, const int*, const float*, const int*,
                               const float*, float*, const int*);
std::string check_sgemm(SgemmFunction sgemm = nullptr);

// At the start of main: sets the environment a better kernel needs and returns true when the
// process must execute itself again; checks a requested kernel once it runs, and on a failed
// check clears the request (with a warning) and also returns true.
bool choose_blas_kernel();

// The kernel in use and why, for `scir_hpc info` and main.log, e.g.
// "Cooperlake (chosen by scir for this CPU: AVX-512 with bf16; OpenBLAS's own choice Prescott)".
std::string blas_kernel_description();

}  // namespace scir
