#include "scir/core/errors.h"

#include <c10/util/Exception.h>

#include <filesystem>

namespace scir {

ErrorReport report_for(const std::exception& error) {
  // LibTorch's own errors carry a backtrace after the message; keep the message.
  const auto* torch_error = dynamic_cast<const c10::Error*>(&error);
  std::string message = torch_error ? torch_error->what_without_backtrace() : error.what();
  // One line: a multi-line message from a dependency is folded.
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  if (const auto* known = dynamic_cast<const Error*>(&error)) {
    return {known->exit_code(), message};
  }
  // A path that cannot be created, written or renamed (read-only, immutable, not a directory,
  // full) is the user's to fix, and a retry of the same job would fail the same way.
  if (const auto* file_system = dynamic_cast<const std::filesystem::filesystem_error*>(&error)) {
    std::string reason = file_system->what();
    const std::string prefix = "filesystem error: ";
    if (reason.rfind(prefix, 0) == 0) reason = reason.substr(prefix.size());
    const size_t bracket = reason.find(" [");
    if (bracket != std::string::npos) reason = reason.substr(0, bracket);
    return {kExitBadInput, cat(file_system->path1().string(), ": ", reason)};
  }
  return {kExitInternal, "internal: " + message};
}

}  // namespace scir
