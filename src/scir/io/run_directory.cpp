#include "scir/io/run_directory.h"

#include <filesystem>
#include <fstream>

#include "scir/core/errors.h"
#include "scir/core/logging.h"
#include "scir/dist/collective_watchdog.h"
#include "scir/io/hf_checkpoint.h"

namespace scir {

namespace fs = std::filesystem;

RunDirectory::RunDirectory(std::string root) : root_(std::move(root)) {
  std::error_code error;
  fs::create_directories(fs::path(root_) / ".done", error);
  if (error)
    throw InputError(cat(root_, ": cannot create the run directory (", error.message(), ")"));
}

std::string RunDirectory::path(const std::string& relative) const {
  return (fs::path(root_) / relative).string();
}

bool RunDirectory::done(Comm& comm, const std::string& phase, const std::string& checkpoint) const {
  CollectiveWatchdog::instance().set_progress(cat("phase ", phase));
  const fs::path marker = fs::path(root_) / ".done" / phase;
  bool seen = comm.rank() == 0 && fs::exists(marker);
  if (seen && !checkpoint.empty()) {
    try {
      check_hf_model(checkpoint);
    } catch (const InputError& error) {
      log_warn(cat("[", phase,
                   "] checkpoint incomplete or corrupt, running the phase again: ", error.what()));
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
