// The instruction-set levels the CPU kernels' loops are compiled for. The build targets any
// x86-64 (vectors 4 wide); a kernel defines its loops once per level, with the level's target
// attribute, and calls the best this CPU runs, chosen once when first asked for. Tests pin each
// level the CPU has in turn.
#pragma once

#include <optional>
#include <string>
#include <vector>

// GCC on x86-64 compiles loops for AVX2 and AVX-512 as well; elsewhere only the build's target.
// Instruction sets by name rather than x86-64-v3/v4, which older compilers do not know.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SCIR_X86_VECTOR_LEVELS 1
#define SCIR_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define SCIR_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#else
#define SCIR_X86_VECTOR_LEVELS 0
#endif

// Defines a kernel's functions once per level: DEFINE(level, lanes, attributes) with the level's
// name (baseline, avx2, avx512), its float lanes a register and its target attribute.
#if SCIR_X86_VECTOR_LEVELS
#define SCIR_DEFINE_AT_VECTOR_LEVELS(DEFINE) \
  DEFINE(baseline, 4, )                      \
  DEFINE(avx2, 8, SCIR_TARGET_AVX2)          \
  DEFINE(avx512, 16, SCIR_TARGET_AVX512)
// The one of the three definitions for `level`.
#define SCIR_AT_VECTOR_LEVEL(level, for_baseline, for_avx2, for_avx512) \
  ((level) == ::scir::VectorLevel::avx512 ? (for_avx512)                \
   : (level) == ::scir::VectorLevel::avx2 ? (for_avx2)                  \
                                          : (for_baseline))
#else
#define SCIR_DEFINE_AT_VECTOR_LEVELS(DEFINE) DEFINE(baseline, 4, )
#define SCIR_AT_VECTOR_LEVEL(level, for_baseline, for_avx2, for_avx512) \
  ((void)(level), (for_baseline))
#endif

namespace scir {

enum class VectorLevel { baseline, avx2, avx512 };

std::vector<VectorLevel> vector_levels_this_cpu_runs();
// The best level this CPU runs, unless one is pinned.
VectorLevel vector_level_in_use();
std::string vector_level_name(VectorLevel level);
// Pins a level (InternalError if this CPU does not run it), or with nullopt unpins.
void pin_vector_level(std::optional<VectorLevel> level);

}  // namespace scir
