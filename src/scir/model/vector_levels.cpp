#include "scir/model/vector_levels.h"

#include <algorithm>

#include "scir/core/errors.h"

namespace scir {
namespace {

std::optional<VectorLevel>& pinned_level() {
  static std::optional<VectorLevel> pinned;
  return pinned;
}

}  // namespace

std::vector<VectorLevel> vector_levels_this_cpu_runs() {
  std::vector<VectorLevel> levels{VectorLevel::baseline};
#if SCIR_X86_VECTOR_LEVELS
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2) levels.push_back(VectorLevel::avx2);
  if (avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq")) {
    levels.push_back(VectorLevel::avx512);
  }
#endif
  return levels;
}

VectorLevel vector_level_in_use() {
  static const VectorLevel best = vector_levels_this_cpu_runs().back();
  return pinned_level().value_or(best);
}

std::string vector_level_name(VectorLevel level) {
  switch (level) {
    case VectorLevel::avx512:
      return "AVX-512";
    case VectorLevel::avx2:
      return "AVX2";
    default:
      return "baseline";
  }
}

void pin_vector_level(std::optional<VectorLevel> level) {
  if (level) {
    const std::vector<VectorLevel> runs = vector_levels_this_cpu_runs();
    if (std::find(runs.begin(), runs.end(), *level) == runs.end()) {
      throw InternalError(
          cat("this CPU does not run the ", vector_level_name(*level), " vector level"));
    }
  }
  pinned_level() = level;
}

}  // namespace scir
