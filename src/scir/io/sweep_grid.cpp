#include "scir/io/sweep_grid.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "scir/core/errors.h"

namespace scir {
namespace {

std::string trim(const std::string& text) {
  const size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

using Options = std::vector<std::pair<std::string, std::string>>;

// Whether a list of (key, ...) pairs, options or grid entries, names `key`.
template <typename Pairs>
bool has_key(const Pairs& pairs, const std::string& key) {
  for (const auto& pair : pairs)
    if (pair.first == key) return true;
  return false;
}

// The [variant NAME] sections, each named by the grid key `variant`, none naming an option that
// [fixed] or [grid] sets too.
std::map<std::string, Options> read_variants(
    const std::string& path, const std::map<std::string, Options>& sections,
    const std::vector<std::pair<std::string, std::vector<std::string>>>& grid,
    const Options& fixed) {
  std::vector<std::string> chosen;
  for (const auto& [key, values] : grid)
    if (key == "variant") chosen = values;
  std::map<std::string, Options> variants;
  const std::string prefix = "variant ";
  for (const auto& [section, options] : sections) {
    if (section.rfind(prefix, 0) != 0) continue;
    const std::string name = trim(section.substr(prefix.size()));
    if (std::find(chosen.begin(), chosen.end(), name) == chosen.end())
      throw InputError(cat(path, ": [", section, "]: not among [grid] variant"));
    if (options.empty())
      throw InputError(cat(path, ": [", section, "]: expected at least one option"));
    for (const auto& option : options) {
      if (has_key(fixed, option.first))
        throw InputError(cat(path, ": [", section, "] ", option.first, ": also in [fixed]"));
      if (has_key(grid, option.first))
        throw InputError(cat(path, ": [", section, "] ", option.first, ": also in [grid]"));
    }
    variants[name] = options;
  }
  for (const std::string& name : chosen) {
    if (!variants.count(name))
      throw InputError(cat(path, ": [grid] variant: no section [variant ", name, "]"));
  }
  return variants;
}

}  // namespace

SweepGrid SweepGrid::from_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw InputError(cat(path, ": no such grid file"));
  // section -> (key, value) in file order
  std::map<std::string, Options> sections;
  std::string section, line;
  for (int number = 1; std::getline(file, line); ++number) {
    const std::string text = trim(line);
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    if (text.front() == '[' && text.back() == ']') {
      section = trim(text.substr(1, text.size() - 2));
      // As sweep.py's configparser reads a grid: a section or key given twice is refused, not
      // merged or overwritten.
      if (sections.count(section))
        throw InputError(cat(path, ":", number, ": section [", section, "] given twice"));
      sections[section];
      continue;
    }
    const size_t equals = text.find('=');
    if (equals == std::string::npos || section.empty())
      throw InputError(cat(path, ":", number, ": expected 'option = value' under a [section]"));
    const std::string key = trim(text.substr(0, equals));
    if (has_key(sections[section], key))
      throw InputError(cat(path, ":", number, ": [", section, "] ", key, ": given twice"));
    sections[section].emplace_back(key, trim(text.substr(equals + 1)));
  }
  for (const char* name : {"sweep", "grid"}) {
    if (!sections.count(name)) throw InputError(cat(path, ": missing section [", name, "]"));
  }
  SweepGrid grid;
  std::map<std::string, std::string> sweep(sections["sweep"].begin(), sections["sweep"].end());
  for (const char* key : {"config", "out"}) {
    if (sweep[key].empty()) throw InputError(cat(path, ": [sweep] ", key, ": expected a path"));
  }
  grid.config =
      (std::filesystem::absolute(path).parent_path() / sweep["config"]).lexically_normal().string();
  if (!std::filesystem::is_regular_file(grid.config))
    throw InputError(cat(path, ": [sweep] config: no such file ", grid.config));
  grid.out = sweep["out"];
  if (sweep.count("ranks")) {
    // The whole value must be the integer: "2x" or "2.5" is refused, not read as 2.
    const std::string& text = sweep["ranks"];
    size_t used = 0;
    try {
      grid.ranks = std::stoi(text, &used);
    } catch (const std::exception&) {
      grid.ranks = 0;
    }
    if (grid.ranks < 1 || used != text.size())
      throw InputError(cat(path, ": [sweep] ranks: expected an integer >= 1, not '", text, "'"));
  }
  for (const auto& [key, text] : sections["grid"]) {
    std::vector<std::string> values;
    size_t start = 0;
    while (start <= text.size()) {
      const size_t comma = std::min(text.find(',', start), text.size());
      const std::string value = trim(text.substr(start, comma - start));
      if (!value.empty()) values.push_back(value);
      start = comma + 1;
    }
    if (values.empty())
      throw InputError(cat(path, ": [grid] ", key, ": expected comma-separated values"));
    grid.grid.emplace_back(key, values);
  }
  if (grid.grid.empty()) throw InputError(cat(path, ": [grid]: expected at least one option"));
  grid.fixed = sections["fixed"];
  grid.variants = read_variants(path, sections, grid.grid, grid.fixed);
  return grid;
}

std::vector<SweepRun> SweepGrid::expand() const {
  std::vector<SweepRun> runs;
  std::vector<size_t> choice(grid.size(), 0);  // an odometer, the last option fastest
  while (true) {
    SweepRun run{"", fixed};
    std::string name;
    for (size_t k = 0; k < grid.size(); ++k) {
      const std::string& value = grid[k].second[choice[k]];
      if (grid[k].first == "variant") {
        const Options& options = variants.at(value);
        run.options.insert(run.options.end(), options.begin(), options.end());
      } else {
        run.options.emplace_back(grid[k].first, value);
      }
      name += (name.empty() ? "" : "__") + grid[k].first + "=" + value;
    }
    run.directory = (std::filesystem::path(out) / name).string();
    runs.push_back(std::move(run));
    size_t k = grid.size();
    while (k > 0 && ++choice[k - 1] == grid[k - 1].second.size()) choice[--k] = 0;
    if (k == 0) break;
  }
  return runs;
}

}  // namespace scir
