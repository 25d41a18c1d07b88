#include "scir/core/option_binding.h"

namespace scir {

std::string list_of_names(const std::vector<std::string>& names) {
  std::string text;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text += i + 1 == names.size() ? " or " : ", ";
    text += names[i];
  }
  return text;
}

OptionBinder& OptionBinder::number(const std::string& key, double& field, const std::string& help,
                                   const OptionRange& range) {
  if (!reads()) {
    declare_->add_double(key, field, help);
    return *this;
  }
  field = read_->get_double(key);
  if (!range.holds(field)) read_->reject(key, range.expected);
  return *this;
}

void OptionBinder::integer_value(const std::string& key, long long& value, const std::string& help,
                                 const OptionRange& range) {
  if (!reads()) {
    declare_->add_int(key, value, help);
    return;
  }
  value = read_->get_int(key);
  if (!range.holds(static_cast<double>(value))) read_->reject(key, range.expected);
}

OptionBinder& OptionBinder::flag(const std::string& key, bool& field, const std::string& help) {
  if (reads()) {
    field = read_->get_bool(key);
  } else {
    declare_->add_bool(key, field, help);
  }
  return *this;
}

OptionBinder& OptionBinder::text(const std::string& key, std::string& field,
                                 const std::string& help) {
  if (reads()) {
    field = read_->get_string(key);
  } else {
    declare_->add_string(key, field, help);
  }
  return *this;
}

size_t OptionBinder::choice_index(const std::string& key, const std::string& current,
                                  const std::vector<std::string>& names, const std::string& help) {
  if (!reads()) {
    declare_->add_string(key, current, help + ": " + list_of_names(names));
    return 0;
  }
  const std::string value = read_->get_string(key);
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == value) return i;
  }
  read_->reject(key, list_of_names(names));
}

}  // namespace scir
