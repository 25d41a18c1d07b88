// What the bench programs share: checked flag values (a bad one is an InputError naming the
// flag) and a main that turns errors into one line and report_for's exit code (2 for bad
// input).
#pragma once

#include <iostream>
#include <map>
#include <string>

#include "scir/core/allocator.h"
#include "scir/core/errors.h"
#include "scir/core/process_start.h"
#include "scir/core/threads.h"

namespace scir::bench {

// `--name value` pairs over `defaults`, which also name the flags there are.
inline std::map<std::string, std::string> read_flags(int argc, char** argv,
                                                     std::map<std::string, std::string> defaults) {
  for (int i = 1; i < argc; i += 2) {
    if (!defaults.count(argv[i]) || i + 1 >= argc)
      throw InputError(cat("option '", argv[i], "': unknown or without a value"));
    defaults[argv[i]] = argv[i + 1];
  }
  return defaults;
}

inline int64_t positive_flag(const std::string& flag, const std::string& value) {
  try {
    size_t used = 0;
    const long long number = std::stoll(value, &used);
    if (used == value.size() && number >= 1) return number;
  } catch (const std::exception&) {
  }
  throw InputError(cat("option '", flag, "': expected an integer >= 1, got '", value, "'"));
}

inline double non_negative_flag(const std::string& flag, const std::string& value) {
  try {
    size_t used = 0;
    const double number = std::stod(value, &used);
    if (used == value.size() && number >= 0) return number;
  } catch (const std::exception&) {
  }
  throw InputError(cat("option '", flag, "': expected a number >= 0, got '", value, "'"));
}

// The whole main of a bench program called `name`: OpenMP's passive wait policy, the best BLAS
// kernel and kept freed memory, as every binary of the project starts, then `run`.
inline int bench_main(const char* name, int argc, char** argv, int (*run)(int, char**)) {
  restart_with_tuned_environment(argv);
  keep_freed_memory();
  try {
    return run(argc, argv);
  } catch (const std::exception& error) {
    const ErrorReport report = report_for(error);
    std::cerr << name << ": error: " << report.message << "\n";
    return report.exit_code;
  }
}

}  // namespace scir::bench
