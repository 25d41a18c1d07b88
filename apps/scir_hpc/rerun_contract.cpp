#include "rerun_contract.h"

#include <filesystem>
#include <fstream>
#include <map>

#include "scir/core/errors.h"

namespace scir::app {
namespace {

namespace fs = std::filesystem;

// The options of the seed models' phases are all but the iterations' (scir.*, srlm.*), except
// two that change M1's evaluation: the rule analysis/seed_models.py and the sweep runner share.
bool only_iterations(const std::string& key) {
  const bool iteration_group = key.rfind("scir.", 0) == 0 || key.rfind("srlm.", 0) == 0;
  return iteration_group && key != "scir.grm" && key != "scir.tau";
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Options that leave the computation as it is: what the job prints and how long it waits,
// and the layout it runs on (threads, tensor parallelism, the device, gradient buckets), which
// computes the same sums in another float order, as a rerun on other hosts does. Restart
// states are exact (bit-exact resume), so how often they are written is free too.
bool cannot_change_results(const std::string& key) {
  return key == "threads" || key == "comm-timeout" || key == "out" || key == "resume" ||
         key == "tp" || key == "device" || ends_with(key, "log_every") ||
         ends_with(key, "state_every") || ends_with(key, "check_replicas") ||
         ends_with(key, "bucket_mb");
}

// RUN/config.ini as written by OptionSet::dump_ini: "section.name" -> value text.
std::map<std::string, std::string> read_recorded_options(const std::string& path) {
  std::ifstream file(path);
  if (!file)
    throw InputError(cat(path, ": cannot be read (the options of the job in this directory)"));
  std::map<std::string, std::string> recorded;
  std::string section, line;
  while (std::getline(file, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = line.substr(1, line.size() - 2) + ".";
      continue;
    }
    const size_t equals = line.find(" = ");
    if (equals == std::string::npos) {
      throw InputError(cat(path, ": '", line,
                           "' is not 'name = value' (a damaged record of this directory's job; "
                           "start over in a new --out)"));
    }
    recorded[section + line.substr(0, equals)] = line.substr(equals + 3);
  }
  return recorded;
}

// Whether a folder holds an entry whose name starts with `prefix`.
bool has_entry_starting(const fs::path& folder, const std::string& prefix) {
  std::error_code error;
  if (!fs::is_directory(folder, error)) return false;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, error))
    if (entry.path().filename().string().rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace

void check_rerun_options(const std::string& directory,
                         const std::vector<std::pair<std::string, std::string>>& options) {
  const fs::path root(directory);
  const fs::path record = root / "config.ini";
  std::error_code error;
  if (!fs::exists(record, error)) return;  // no job has started here
  const std::map<std::string, std::string> recorded = read_recorded_options(record.string());
  // An iteration has started once one of its phases is done or has left a checkpoint or a
  // restart state; until then only the seed models' options are fixed.
  const bool iterations_started =
      has_entry_starting(root / ".done", "iter_") || has_entry_starting(root / "ckpt", "iter_");
  for (const auto& [key, value] : options) {
    if (cannot_change_results(key)) continue;
    if (!iterations_started && only_iterations(key)) continue;
    const auto found = recorded.find(key);
    if (found == recorded.end()) {
      throw InputError(cat(record.string(), ": records no option ", key,
                           " (a job of another version of scir_hpc); start over in a new --out"));
    }
    if (found->second == value) continue;
    if (key == "scir.iterations") {
      // More iterations go on from the finished ones; fewer would leave later ones behind.
      try {
        if (std::stoll(value) >= std::stoll(found->second)) continue;
      } catch (const std::exception&) {
      }
    }
    throw InputError(cat(
        "option '--", key, "': ", value, " differs from ", found->second, ", the value of the job ",
        iterations_started ? "whose iterations started" : "whose seed models started", " in ",
        directory, " (", record.string(),
        "); rerun with the same value to go on, or start over in a new --out"));
  }
}

}  // namespace scir::app
