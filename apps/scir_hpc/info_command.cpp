// scir_hpc info: what each rank runs on, and its measured sgemm rate (the MFU peak).
#include <iostream>

#include "command.h"
#include "scir/core/blas_kernel.h"
#include "scir/core/platform_info.h"
#include "scir/core/threads.h"
#include "scir/io/hdf5_info.h"
#include "scir/model/vector_levels.h"

namespace scir::app {
namespace {

void declare(OptionSet& options) {
  options.add_double("sgemm-seconds", 1.0, "how long to measure sgemm GFLOP/s");
}

std::string nccl_status() {
#ifdef SCIR_HAVE_NCCL
  return "compiled";
#else
  return "not compiled";
#endif
}

void run(const OptionSet& options, Comm& comm) {
  const double seconds = options.get_double("sgemm-seconds");
  if (seconds <= 0 || seconds > 60) options.reject("sgemm-seconds", "a number in (0, 60]");
  comm.barrier();  // all ranks measure at once, as they will compute in a job
  const double gflops = measure_sgemm_gflops(seconds);
  const std::string report = cat(                                                  //
      "rank ", comm.rank(), " of ", comm.size(), " on ", host_name(), "\n",        //
      "  threads: torch ", torch::get_num_threads(), ", BLAS ", blas_threads(),    //
      " (OpenMP wait policy: ", openmp_wait_policy(), ")\n",                       //
      "  LibTorch: ", torch_version(), "\n",                                       //
      "  BLAS: ", blas_description(), "\n",                                        //
      "  BLAS kernel: ", blas_kernel_description(), "\n",                          //
      "  CPU attention kernel: ", vector_level_name(vector_level_in_use()), "\n",  //
      "  HDF5: ", hdf5_version(), hdf5_is_parallel() ? " (parallel)" : " (serial)", "\n",
      "  CUDA: ", torch_has_cuda() ? "available" : "not available",
      "; NCCL communicator: ", nccl_status(), "\n",  //
      "  sgemm: ", gflops, " GFLOP/s (float32, 1024^3, ", seconds, " s)\n");
  const std::vector<std::string> reports = all_gather_strings(comm, report);
  const double total = all_reduce_scalar(comm, gflops, ReduceOp::kSum);
  if (comm.rank() != 0) return;
  for (const std::string& text : reports) std::cout << text;
  std::cout << "sgemm over all ranks: " << total << " GFLOP/s\n";
}

}  // namespace

Command info_command() {
  return {"info", "print what each rank runs on and a measured sgemm GFLOP/s", declare, run};
}

}  // namespace scir::app
