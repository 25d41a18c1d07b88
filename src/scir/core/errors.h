// Error types of scir_hpc. Bad input (a file, a field, an option) is an InputError and ends the
// program with exit code 2; anything else that goes wrong is an InternalError (exit code 1).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace scir {

enum ExitCode : int { kExitOk = 0, kExitInternal = 1, kExitBadInput = 2 };

class Error : public std::runtime_error {
 public:
  Error(const std::string& message, int exit_code)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// A user-supplied file, field or option is wrong. The message names it and what was expected.
class InputError : public Error {
 public:
  explicit InputError(const std::string& message) : Error(message, kExitBadInput) {}
};

class InternalError : public Error {
 public:
  explicit InternalError(const std::string& message) : Error(message, kExitInternal) {}
};

// Concatenates anything streamable into one string: cat("step ", 3, ": loss ", 0.5).
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

// The exit code and one-line message for any exception that reaches main.
struct ErrorReport {
  int exit_code;
  std::string message;
};
ErrorReport report_for(const std::exception& error);

}  // namespace scir
