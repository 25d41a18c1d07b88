// Options of one scir_hpc command: declared with a type, default and help text, read from an INI
// file (--config FILE, [section] key = value) and the command line (--section.key value), where
// the command line wins. Every problem is an InputError naming the option or file.
#pragma once

#include <boost/any.hpp>
#include <boost/program_options.hpp>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "scir/core/errors.h"

namespace scir {

class OptionSet {
 public:
  explicit OptionSet(std::string command);

  // key is "name" (unsectioned) or "section.name". Declaration order is kept for --help and dumps.
  OptionSet& add_string(const std::string& key, const std::string& default_value,
                        const std::string& help);
  OptionSet& add_int(const std::string& key, long long default_value, const std::string& help);
  OptionSet& add_double(const std::string& key, double default_value, const std::string& help);
  OptionSet& add_bool(const std::string& key, bool default_value, const std::string& help);
  // A string option with no default: parse() fails when it is given neither on the command line
  // nor in the file.
  OptionSet& add_required_string(const std::string& key, const std::string& help);

  // The INI file read when --config is not given (a command's embedded default).
  void set_default_config(const std::string& path) { default_config_ = path; }
  // Parses argv (the arguments after the command name). Handles --config FILE.
  void parse(const std::vector<std::string>& args);

  bool help_requested() const { return help_requested_; }
  bool dump_requested() const { return dump_requested_; }
  std::string help_text() const;
  // Every declared option with its effective value ("section.name" -> text), for /config.
  std::vector<std::pair<std::string, std::string>> effective_values() const;
  // The effective configuration as INI: unsectioned keys first, then one block a section.
  std::string dump_ini() const;
  const std::string& command() const { return command_; }

  std::string get_string(const std::string& key) const;
  // A comma-separated string option as its non-empty items ("a,,b" -> a, b).
  std::vector<std::string> get_list(const std::string& key) const;
  long long get_int(const std::string& key) const;
  double get_double(const std::string& key) const;
  bool get_bool(const std::string& key) const;
  // True when the user set the option (command line or file), false when it is the default.
  bool was_set(const std::string& key) const;
  // True when the user set it: on the command line or in their --config, not by the command's
  // embedded default configuration.
  bool was_given(const std::string& key) const;

  // Throws the standard InputError for an option whose value is out of range.
  [[noreturn]] void reject(const std::string& key, const std::string& expected) const;
  // A file-valued option must name a readable file.
  std::string existing_file(const std::string& key) const;

 private:
  enum class Kind { kString, kInt, kDouble, kBool };
  struct Declared {
    std::string key;
    Kind kind;
    bool required;
  };
  void declare(const std::string& key, Kind kind, bool required,
               const boost::program_options::value_semantic* semantic, const std::string& help);
  const Declared& find(const std::string& key, Kind kind) const;
  std::string value_text(const Declared& option) const;
  void read_config_file(const std::string& path);

  std::string command_;
  boost::program_options::options_description description_;
  std::vector<Declared> declared_;
  boost::program_options::variables_map values_;
  std::string default_config_;
  std::set<std::string> embedded_keys_;  // the options the embedded default configuration set
  bool help_requested_ = false;
  bool dump_requested_ = false;
};

}  // namespace scir
