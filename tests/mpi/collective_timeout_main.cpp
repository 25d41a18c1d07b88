// A job in which rank 1 skips a collective that rank 0 waits in: the watchdog (2 s) must end
// the job with a report of the operation and the step, not leave it hanging. The assertions on
// exit code and message are in expect_exit.cmake; CTest's timeout turns a hang into a failure.
#include "scir/core/errors.h"
#include "scir/dist/collective_watchdog.h"
#include "scir/dist/mpi_comm.h"
#include "scir/dist/mpi_environment.h"

int main(int argc, char** argv) {
  scir::MpiEnvironment mpi(&argc, &argv);
  auto world = scir::MpiComm::world();
  scir::CollectiveWatchdog& watchdog = scir::CollectiveWatchdog::instance();
  watchdog.configure(2.0, scir::cat("collective_timeout: error: [rank ", world->rank(), "] "));
  world->barrier();  // completes: both ranks join
  watchdog.set_progress("[test] step 7");
  if (world->rank() == 0) {
    torch::Tensor values = torch::ones({4});
    world->all_reduce(values, scir::ReduceOp::kSum);  // rank 1 never joins
  }
  return 0;
}
