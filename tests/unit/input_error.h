// The message of the InputError an action throws, or "<no error>".
#pragma once

#include <functional>
#include <string>

#include "scir/core/errors.h"

namespace scir::testing_support {

inline std::string input_error(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& error) {
    return error.what();
  }
  return "<no error>";
}

}  // namespace scir::testing_support
