// A job in which rank 1 fails while rank 0 waits in a collective: run_guarded must end the job
// (MPI_Abort) with rank 1's exit code instead of leaving rank 0 hanging. Argument: the exit
// code rank 1 fails with (2: InputError, 1: InternalError). The assertions on exit code and
// message are in expect_exit.cmake; CTest's timeout turns a hang into a failure.
#include <string>

#include "scir/core/errors.h"
#include "scir/dist/guarded_main.h"
#include "scir/dist/mpi_comm.h"
#include "scir/dist/mpi_environment.h"

int main(int argc, char** argv) {
  scir::MpiEnvironment mpi(&argc, &argv);
  auto world = scir::MpiComm::world();
  const int failure = argc > 1 ? std::stoi(argv[1]) : 2;
  return scir::run_guarded(*world, "rank_failure", [&] {
    if (world->rank() == 1) {
      if (failure == 2) throw scir::InputError("shard_1.jsonl:7: expected field 'prompt'");
      throw scir::InternalError("simulated failure");
    }
    world->barrier();  // never completes: rank 1 is gone
    return 0;
  });
}
