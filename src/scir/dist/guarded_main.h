// The error policy of every scir_hpc main: an AgreedError (all ranks hold it) is printed once
// and every rank exits with its code; any other error is printed by its rank, which then ends
// the whole job with MPI_Abort, since the others may be waiting in a collective.
#pragma once

#include <functional>

#include "scir/dist/comm.h"

namespace scir {

// Runs body and returns its exit code, or the exit code of the error it threw (2: bad input,
// 1: internal). Messages go to stderr as "<program>: error: ...".
int run_guarded(Comm& world, const std::string& program, const std::function<int()>& body);

}  // namespace scir
