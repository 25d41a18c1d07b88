// What every fuzz target shares: the input written where the parser under test reads it (the
// parsers take paths, as the commands give them), and the one outcome a bad input may have, an
// InputError. Anything else (another exception, a crash, a sanitizer report) is a finding.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "scir/core/errors.h"

namespace scir::fuzz {

// A folder of this process's own for the files an input becomes, removed at exit.
inline const std::filesystem::path& scratch() {
  struct Folder {
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("scir_fuzz_" + std::to_string(getpid()));
    Folder() { std::filesystem::create_directories(path); }
    ~Folder() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
  };
  static const Folder folder;
  return folder.path;
}

inline std::string write_file(const std::filesystem::path& path, const uint8_t* data, size_t size) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  return path.string();
}

// A property of what a parser accepted; false ends the process, which libFuzzer and the replay
// both report as a failure.
inline void assert_property(bool holds, const char* what) {
  if (!holds) {
    std::fprintf(stderr, "fuzz check failed: %s\n", what);
    std::abort();
  }
}

// Runs `parse`; an InputError is the expected answer to a bad input.
template <typename Parse>
void expect_input_error_at_most(Parse&& parse) {
  try {
    parse();
  } catch (const InputError&) {
  }
}

}  // namespace scir::fuzz
