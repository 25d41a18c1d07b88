// Checks that all ranks pass before work starts. Validation runs on every rank; when it fails
// anywhere, every rank learns the first failing rank's message and throws it as an AgreedError,
// so main can report it once and exit cleanly instead of aborting a job whose ranks disagree.
#pragma once

#include <functional>

#include "scir/core/errors.h"
#include "scir/dist/comm.h"

namespace scir {

// An error every rank of the communicator holds.
class AgreedError : public Error {
 public:
  AgreedError(const std::string& message, int exit_code) : Error(message, exit_code) {}
};

// Runs check() on every rank of comm; a collective call (every rank must reach it).
void agree_or_throw(Comm& comm, const std::function<void()>& check);

}  // namespace scir
