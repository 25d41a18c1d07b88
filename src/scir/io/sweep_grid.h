// A sweep's grid file (the format jobs/sweeps/sweep.py reads, INI):
//   [sweep]  config = base configuration (relative to the grid file), out = directory of the
//            runs, ranks = MPI ranks a run (default 2)
//   [grid]   option = value, value, ...   (every combination is one run)
//   [fixed]  option = value               (the same for every run; optional)
//   [variant NAME]  option = value        (options that go together, chosen by the grid key
//                                          variant = NAME, NAME, ...; optional)
// Expanded in the same order and to the same directories as sweep.py: the last grid option
// varies fastest; a run's directory is OUT/<option>=<value>__<option>=<value>...
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace scir {

struct SweepRun {
  std::string directory;
  // fixed first, then the grid's in order (a variant's options where the grid names it)
  std::vector<std::pair<std::string, std::string>> options;
};

struct SweepGrid {
  std::string config;  // absolute or relative to the working directory
  std::string out;
  int ranks = 2;
  std::vector<std::pair<std::string, std::vector<std::string>>> grid;
  std::vector<std::pair<std::string, std::string>> fixed;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> variants;

  // Bad files are InputErrors naming the file and the field.
  static SweepGrid from_file(const std::string& path);
  std::vector<SweepRun> expand() const;
};

}  // namespace scir
