// Options declared once: each line binds an option's key to a field of a settings struct, with
// its help text and the range it must lie in. One binding function, run by a declaring binder
// over default settings, declares the options (defaults taken from the fields); run by a
// reading binder over the settings to fill, it reads every value into its field and refuses
// one out of range with the standard one-line InputError naming the option.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "scir/core/config.h"

namespace scir {

// [min, max], either end open, and how an error says it ("a number > 0").
struct OptionRange {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false, max_open = false;
  std::string expected;

  static OptionRange any() { return {}; }
  static OptionRange at_least(double min, const std::string& expected) {
    return {min, std::numeric_limits<double>::infinity(), false, false, expected};
  }
  static OptionRange above(double min, const std::string& expected) {
    return {min, std::numeric_limits<double>::infinity(), true, false, expected};
  }
  static OptionRange within(double min, double max, const std::string& expected) {
    return {min, max, false, false, expected};
  }
  bool holds(double value) const {
    return (min_open ? value > min : value >= min) && (max_open ? value < max : value <= max);
  }
};

// A name for each value of an enum-like setting, in the order help texts list them.
template <class Value>
using OptionNames = std::vector<std::pair<std::string, Value>>;

class OptionBinder {
 public:
  static OptionBinder declaring(OptionSet& options) { return OptionBinder(&options, nullptr); }
  static OptionBinder reading(const OptionSet& options) { return OptionBinder(nullptr, &options); }
  bool reads() const { return read_ != nullptr; }

  OptionBinder& number(const std::string& key, double& field, const std::string& help,
                       const OptionRange& range = OptionRange::any());
  template <class Integer>
  OptionBinder& integer(const std::string& key, Integer& field, const std::string& help,
                        const OptionRange& range = OptionRange::any()) {
    long long value = static_cast<long long>(field);
    integer_value(key, value, help, range);
    field = static_cast<Integer>(value);
    return *this;
  }
  OptionBinder& flag(const std::string& key, bool& field, const std::string& help);
  OptionBinder& text(const std::string& key, std::string& field, const std::string& help);
  // One of `names`; the help text lists them ("<help>: a, b or c").
  template <class Value>
  OptionBinder& choice(const std::string& key, Value& field, const OptionNames<Value>& names,
                       const std::string& help) {
    std::vector<std::string> listed;
    std::string current;
    for (const auto& [name, value] : names) {
      listed.push_back(name);
      if (value == field && current.empty()) current = name;
    }
    const size_t index = choice_index(key, current, listed, help);
    if (reads()) field = names[index].second;
    return *this;
  }

 private:
  OptionBinder(OptionSet* declare, const OptionSet* read) : declare_(declare), read_(read) {}
  void integer_value(const std::string& key, long long& value, const std::string& help,
                     const OptionRange& range);
  size_t choice_index(const std::string& key, const std::string& current,
                      const std::vector<std::string>& names, const std::string& help);
  OptionSet* declare_;
  const OptionSet* read_;
};

// "a, b or c".
std::string list_of_names(const std::vector<std::string>& names);

// The value named by a string option, or the standard InputError listing the names.
template <class Value>
Value read_choice(const OptionSet& options, const std::string& key,
                  const OptionNames<Value>& names) {
  const std::string value = options.get_string(key);
  std::vector<std::string> listed;
  for (const auto& [name, named] : names) {
    if (name == value) return named;
    listed.push_back(name);
  }
  options.reject(key, list_of_names(listed));
}

}  // namespace scir
