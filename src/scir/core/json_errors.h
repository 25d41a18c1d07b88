// A JSON file's value of the wrong type or out of range, met while reading it, as one InputError
// naming the file: the safety net behind the readers' own checks of each field, which name the
// field too. (nlohmann's JSON_DIAGNOSTICS would add the field's path to its messages, but makes
// GCC 12 warn inside the library, and changes the layout of every json value.)
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "scir/core/errors.h"

namespace scir {

// "FILE: type must be string, but is number" (with a JSON pointer when nlohmann gives one:
// "FILE: field '/added_tokens/3/content': ...").
inline std::string json_error_message(const std::string& file,
                                      const nlohmann::json::exception& error) {
  std::string text = error.what();
  if (text.rfind("[json.exception.", 0) == 0 && text.find("] ") != std::string::npos)
    text = text.substr(text.find("] ") + 2);
  if (!text.empty() && text[0] == '(' && text.find(") ") != std::string::npos) {
    const size_t close = text.find(") ");
    return cat(file, ": field '", text.substr(1, close - 1), "': ", text.substr(close + 2));
  }
  return cat(file, ": ", text);
}

// Runs `read`, whose nlohmann exceptions become InputErrors naming `file`.
template <typename Read>
auto reading_json(const std::string& file, Read&& read) -> decltype(read()) {
  try {
    return read();
  } catch (const nlohmann::json::exception& error) {
    throw InputError(json_error_message(file, error));
  }
}

}  // namespace scir
