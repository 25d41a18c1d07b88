// MPI's lifetime in one process: initialised on construction, finalised on destruction.
// Also the one place that aborts the whole job when a rank cannot go on.
#pragma once

namespace scir {

class MpiEnvironment {
 public:
  MpiEnvironment(int* argc, char*** argv);
  ~MpiEnvironment();
  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;
};

// Ends every rank of MPI_COMM_WORLD with this exit code; used when the other ranks could be
// waiting in a collective that this rank will never join.
[[noreturn]] void abort_job(int exit_code);

}  // namespace scir
