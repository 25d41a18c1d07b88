#include "scir/core/errors.h"

#include <c10/util/Exception.h>

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
  return {kExitInternal, "internal: " + message};
}

}  // namespace scir
