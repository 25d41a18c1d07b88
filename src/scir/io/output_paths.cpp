#include "scir/io/output_paths.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "scir/core/errors.h"

namespace scir {
namespace {

namespace fs = std::filesystem;

// The folder a new entry of `path` goes into ("." for a bare name).
fs::path folder_of(const fs::path& path) {
  const fs::path parent = path.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

// A file created and removed in `folder`: the one test of writability that also sees read-only
// mounts, immutable attributes and ACLs.
void probe_writable(const fs::path& folder, const std::string& path) {
  const fs::path probe = folder / cat(".scir_write_probe.", getpid());
  if (!std::ofstream(probe.string())) {
    throw InputError(
        cat(path, ": cannot be written (", folder.string(), ": ", std::strerror(errno), ")"));
  }
  std::error_code ignored;
  fs::remove(probe, ignored);
}

}  // namespace

void check_output_file(const std::string& path) {
  if (path == "-") return;
  std::error_code error;
  if (fs::is_directory(path, error)) throw InputError(cat(path, ": is a directory, not a file"));
  const fs::path folder = folder_of(path);
  if (!fs::is_directory(folder, error))
    throw InputError(cat(path, ": its directory ", folder.string(), " does not exist"));
  probe_writable(folder, path);
}

void check_output_directory(const std::string& path) {
  std::error_code error;
  if (fs::exists(path, error) && !fs::is_directory(path, error))
    throw InputError(cat(path, ": exists and is not a directory"));
  const fs::path folder = folder_of(path);
  fs::create_directories(folder, error);
  if (error)
    throw InputError(cat(path, ": cannot create ", folder.string(), " (", error.message(), ")"));
  probe_writable(folder, path);
}

}  // namespace scir
