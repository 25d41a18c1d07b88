// GoogleTest under MPI: every rank runs every test; only rank 0 prints, and a failure on any
// rank fails the job through its exit code.
#include <gtest/gtest.h>

#include <cstdio>

#include "scir/dist/mpi_comm.h"
#include "scir/dist/mpi_environment.h"

int main(int argc, char** argv) {
  scir::MpiEnvironment mpi(&argc, &argv);
  ::testing::InitGoogleTest(&argc, argv);
  // The tests assert exact values computed for two ranks: refuse any other count loudly.
  if (scir::MpiComm::world()->size() != 2) {
    std::fprintf(stderr, "scir_mpi_tests: run under mpiexec -n 2, not %d ranks\n",
                 scir::MpiComm::world()->size());
    return 1;
  }
  torch::set_num_threads(1);
  if (scir::MpiComm::world()->rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int failed = RUN_ALL_TESTS();
  // Each rank's verdict decides the job's exit code (mpiexec fails if any rank does).
  return failed;
}
