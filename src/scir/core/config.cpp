#include "scir/core/config.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace po = boost::program_options;

namespace scir {
namespace {

std::string cli_name(const std::string& key) { return "--" + key; }

bool parse_bool(const std::string& text, bool* out) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") {
    *out = true;
    return true;
  }
  if (text == "false" || text == "0" || text == "no" || text == "off") {
    *out = false;
    return true;
  }
  return false;
}

bool parse_int(const std::string& text, long long* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  *out = std::strtoll(text.c_str(), &end, 10);
  return errno == 0 && *end == '\0';
}

bool parse_double(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  *out = std::strtod(text.c_str(), &end);
  return errno == 0 && *end == '\0' && std::isfinite(*out);
}

// The shortest text that reads back as the same double.
std::string format_double(double value) {
  std::string text;
  for (int digits = 1; digits <= 17; ++digits) {
    std::ostringstream out;
    out.precision(digits);
    out << value;
    text = out.str();
    double back = 0;
    if (parse_double(text, &back) && back == value) break;
  }
  return text;
}

// Boost's messages name the option; rewrite them as "option '--x': ..." lines of our own.
std::string describe_po_error(const po::error& error, const std::string& source) {
  const std::string where = source.empty() ? "" : source + ": ";
  if (const auto* unknown = dynamic_cast<const po::unknown_option*>(&error)) {
    return where + "unknown option '" + unknown->get_option_name() + "'";
  }
  if (const auto* twice = dynamic_cast<const po::multiple_occurrences*>(&error)) {
    return where + "option '" + twice->get_option_name() + "' is given more than once";
  }
  if (const auto* syntax = dynamic_cast<const po::invalid_command_line_syntax*>(&error)) {
    if (syntax->kind() == po::invalid_syntax::missing_parameter) {
      return where + "option '" + syntax->get_option_name() + "': expected a value after it";
    }
  }
  return where + error.what();
}

}  // namespace

OptionSet::OptionSet(std::string command) : command_(std::move(command)), description_() {
  description_.add_options()                                                                //
      ("help,h", "print this help and exit")                                                //
      ("config", po::value<std::string>(), "INI file with options; the command line wins")  //
      ("dump-config", "print the effective configuration as INI and exit");
}

void OptionSet::declare(const std::string& key, Kind kind, bool required,
                        const po::value_semantic* semantic, const std::string& help) {
  description_.add_options()(key.c_str(), semantic, help.c_str());
  declared_.push_back({key, kind, required});
}

OptionSet& OptionSet::add_string(const std::string& key, const std::string& default_value,
                                 const std::string& help) {
  declare(key, Kind::kString, false, po::value<std::string>()->default_value(default_value), help);
  return *this;
}

OptionSet& OptionSet::add_required_string(const std::string& key, const std::string& help) {
  declare(key, Kind::kString, true, po::value<std::string>(), help + " (required)");
  return *this;
}

OptionSet& OptionSet::add_int(const std::string& key, long long default_value,
                              const std::string& help) {
  declare(key, Kind::kInt, false,
          po::value<std::string>()->default_value(std::to_string(default_value)), help);
  return *this;
}

OptionSet& OptionSet::add_double(const std::string& key, double default_value,
                                 const std::string& help) {
  declare(key, Kind::kDouble, false,
          po::value<std::string>()->default_value(format_double(default_value)), help);
  return *this;
}

OptionSet& OptionSet::add_bool(const std::string& key, bool default_value,
                               const std::string& help) {
  // A bare --flag means true; --flag false or flag = false in the file switch it off.
  declare(key, Kind::kBool, false,
          po::value<std::string>()
              ->default_value(default_value ? "true" : "false")
              ->implicit_value("true"),
          help);
  return *this;
}

void OptionSet::read_config_file(const std::string& path) {
  std::ifstream file(path);
  if (!file)
    throw InputError("--config: cannot open '" + path + "' (expected a readable INI file)");
  try {
    po::store(po::parse_config_file(file, description_, /*allow_unregistered=*/false), values_);
  } catch (const po::error& error) {
    throw InputError(describe_po_error(error, path));
  }
}

void OptionSet::parse(const std::vector<std::string>& args) {
  try {
    // The command line is stored first: po::store keeps the first value it sees, so it wins.
    const po::parsed_options parsed = po::command_line_parser(args).options(description_).run();
    for (const po::option& option : parsed.options) {
      if (option.position_key >= 0) {
        throw InputError("unexpected argument '" + option.value.front() +
                         "' (options are --name value)");
      }
    }
    po::store(parsed, values_);
  } catch (const po::error& error) {
    throw InputError(describe_po_error(error, ""));
  }
  help_requested_ = values_.count("help") > 0;
  dump_requested_ = values_.count("dump-config") > 0;
  if (help_requested_) return;
  if (values_.count("config")) {
    read_config_file(values_["config"].as<std::string>());
  } else if (!default_config_.empty()) {
    std::set<std::string> given;
    for (const Declared& option : declared_)
      if (was_set(option.key)) given.insert(option.key);
    read_config_file(default_config_);
    for (const Declared& option : declared_)
      if (was_set(option.key) && !given.count(option.key)) embedded_keys_.insert(option.key);
  }
  po::notify(values_);

  for (const Declared& option : declared_) {
    if (!values_.count(option.key)) {
      if (option.required) {
        throw InputError("option '" + cli_name(option.key) + "' is required (see 'scir_hpc " +
                         command_ + " --help')");
      }
      continue;
    }
    const std::string text = values_[option.key].as<std::string>();
    bool flag = false;
    long long integer = 0;
    double number = 0;
    switch (option.kind) {
      case Kind::kString:
        break;
      case Kind::kInt:
        if (!parse_int(text, &integer)) reject(option.key, "an integer");
        break;
      case Kind::kDouble:
        if (!parse_double(text, &number)) reject(option.key, "a finite number");
        break;
      case Kind::kBool:
        if (!parse_bool(text, &flag)) reject(option.key, "true or false");
        break;
    }
  }
}

const OptionSet::Declared& OptionSet::find(const std::string& key, Kind kind) const {
  for (const Declared& option : declared_) {
    if (option.key == key) {
      if (option.kind != kind) throw InternalError("option '" + key + "' read as the wrong type");
      return option;
    }
  }
  throw InternalError("option '" + key + "' was never declared for '" + command_ + "'");
}

std::string OptionSet::value_text(const Declared& option) const {
  if (!values_.count(option.key)) return "";
  return values_[option.key].as<std::string>();
}

std::string OptionSet::get_string(const std::string& key) const {
  return value_text(find(key, Kind::kString));
}

std::vector<std::string> OptionSet::get_list(const std::string& key) const {
  const std::string text = get_string(key);
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    if (comma > start) items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

long long OptionSet::get_int(const std::string& key) const {
  long long value = 0;
  parse_int(value_text(find(key, Kind::kInt)), &value);
  return value;
}

double OptionSet::get_double(const std::string& key) const {
  double value = 0;
  parse_double(value_text(find(key, Kind::kDouble)), &value);
  return value;
}

bool OptionSet::get_bool(const std::string& key) const {
  bool value = false;
  parse_bool(value_text(find(key, Kind::kBool)), &value);
  return value;
}

bool OptionSet::was_set(const std::string& key) const {
  return values_.count(key) && !values_[key].defaulted();
}

bool OptionSet::was_given(const std::string& key) const {
  return was_set(key) && !embedded_keys_.count(key);
}

void OptionSet::reject(const std::string& key, const std::string& expected) const {
  std::string got = values_.count(key) ? values_[key].as<std::string>() : "";
  throw InputError("option '" + cli_name(key) + "': expected " + expected + ", got '" + got + "'");
}

std::string OptionSet::existing_file(const std::string& key) const {
  const std::string path = get_string(key);
  std::ifstream file(path);
  if (path.empty() || !file) {
    throw InputError("option '" + cli_name(key) + "': cannot open file '" + path +
                     "' (expected a readable file)");
  }
  return path;
}

std::string OptionSet::help_text() const {
  std::ostringstream out;
  out << "usage: scir_hpc " << command_ << " [--config FILE] [options]\n"
      << "Options are --section.name value on the command line, or name = value under [section]\n"
      << "in the INI file; the command line wins.\n\n"
      << description_;
  return out.str();
}

std::vector<std::pair<std::string, std::string>> OptionSet::effective_values() const {
  std::vector<std::pair<std::string, std::string>> values;
  for (const Declared& option : declared_) values.emplace_back(option.key, value_text(option));
  return values;
}

std::string OptionSet::dump_ini() const {
  std::ostringstream out;
  out << "# effective configuration of 'scir_hpc " << command_ << "'\n";
  std::string current_section;
  // Unsectioned keys must come before any [section] header in INI.
  for (int pass = 0; pass < 2; ++pass) {
    for (const Declared& option : declared_) {
      const auto dot = option.key.find('.');
      const bool sectioned = dot != std::string::npos;
      if (sectioned != (pass == 1)) continue;
      if (!values_.count(option.key)) continue;
      std::string name = option.key;
      if (sectioned) {
        const std::string section = option.key.substr(0, dot);
        if (section != current_section) {
          out << "\n[" << section << "]\n";
          current_section = section;
        }
        name = option.key.substr(dot + 1);
      }
      out << name << " = " << value_text(option) << "\n";
    }
  }
  return out.str();
}

}  // namespace scir
