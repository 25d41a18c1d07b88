#include "scir/io/run_directory.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "scir/core/errors.h"
#include "scir/core/logging.h"
#include "scir/dist/collective_watchdog.h"
#include "scir/io/h5_group.h"
#include "scir/io/hf_checkpoint.h"

namespace scir {

namespace fs = std::filesystem;

RunDirectory::RunDirectory(std::string root) : root_(std::move(root)) {
  std::error_code error;
  fs::create_directories(fs::path(root_) / ".done", error);
  if (error)
    throw InputError(cat(root_, ": cannot create the run directory (", error.message(), ")"));
  // A directory that exists but cannot be written (read-only, immutable) is found now, before
  // any work, not when the first phase writes its result.
  const fs::path probe = fs::path(root_) / ".done" / ".write_probe";
  if (!std::ofstream(probe.string())) {
    throw InputError(
        cat(root_, ": the run directory cannot be written (", std::strerror(errno), ")"));
  }
  fs::remove(probe, error);
}

std::string RunDirectory::path(const std::string& relative) const {
  return (fs::path(root_) / relative).string();
}

bool RunDirectory::done(Comm& comm, const std::string& phase, const std::string& checkpoint) const {
  PhaseOutputs outputs;
  if (!checkpoint.empty()) outputs.checkpoints.push_back(checkpoint);
  return done(comm, phase, outputs);
}

namespace {

// What is missing or broken of a finished phase's outputs, as "what, running the phase again:
// which" ("" when they are whole).
std::string output_problem(const PhaseOutputs& outputs, const std::string& h5) {
  const std::string again = ", running the phase again: ";
  for (const std::string& checkpoint : outputs.checkpoints) {
    try {
      check_hf_model(checkpoint);
    } catch (const InputError& error) {
      return cat("checkpoint incomplete or corrupt", again, error.what());
    }
  }
  for (const std::string& file : outputs.files)
    if (!fs::exists(file)) return cat("output missing", again, file);
  for (const std::string& group : outputs.h5_groups)
    if (!h5_has_group(h5, group)) return cat("output missing", again, h5, " has no group ", group);
  return "";
}

}  // namespace

bool RunDirectory::done(Comm& comm, const std::string& phase, const PhaseOutputs& outputs) const {
  CollectiveWatchdog::instance().set_progress(cat("phase ", phase));
  const fs::path marker = fs::path(root_) / ".done" / phase;
  bool seen = comm.rank() == 0 && fs::exists(marker);
  if (seen) {
    const std::string problem = output_problem(outputs, h5());
    if (!problem.empty()) {
      log_warn(cat("[", phase, "] ", problem));
      fs::remove(marker);
      seen = false;
    }
  }
  return all_reduce_scalar(comm, seen ? 1.0 : 0.0, ReduceOp::kMax) > 0;
}

void RunDirectory::mark_done(const std::string& phase) const {
  const fs::path marker = fs::path(root_) / ".done" / phase;
  std::ofstream(marker.string() + ".tmp") << timestamp_now() << "\n";
  fs::rename(marker.string() + ".tmp", marker);
}

}  // namespace scir
