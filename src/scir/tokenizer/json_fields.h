// Optional fields of a tokenizer file's JSON components, read by type: absent or null gives the
// default, another type an InputError naming the file and the whole field ("model.fuse_unk").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>

#include "scir/core/errors.h"

namespace scir {

// A component's optional field of a known type (absent or null: `fallback`); another type is an
// InputError naming the file and the whole field.
template <typename T>
inline T typed_field(const nlohmann::json& step, const char* key, T fallback,
                     const std::string& source, const std::string& field, const char* expected) {
  if (!step.contains(key) || step[key].is_null()) return fallback;
  const nlohmann::json& value = step[key];
  const bool fits = std::is_same_v<T, bool>          ? value.is_boolean()
                    : std::is_same_v<T, std::string> ? value.is_string()
                                                     : value.is_number_integer();
  if (!fits) {
    throw InputError(cat(source, ": field '", field, ".", key, "' is ", value.dump().substr(0, 80),
                         " (expected ", expected, ")"));
  }
  return value.get<T>();
}
inline bool field_value(const nlohmann::json& step, const char* key, bool fallback,
                        const std::string& source, const std::string& field) {
  return typed_field(step, key, fallback, source, field, "true or false");
}
inline int64_t field_value(const nlohmann::json& step, const char* key, int fallback,
                           const std::string& source, const std::string& field) {
  return typed_field<int64_t>(step, key, fallback, source, field, "an integer");
}
inline std::string field_value(const nlohmann::json& step, const char* key, const char* fallback,
                               const std::string& source, const std::string& field) {
  return typed_field<std::string>(step, key, fallback, source, field, "a string");
}

}  // namespace scir
