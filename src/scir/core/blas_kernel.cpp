#include "scir/core/blas_kernel.h"

#include <strings.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <vector>

#include "scir/core/blas_symbols.h"
#include "scir/core/errors.h"

namespace scir {
namespace {

constexpr const char* kCoretype = "OPENBLAS_CORETYPE";
constexpr const char* kRequested = "SCIR_BLAS_KERNEL_REQUESTED";
constexpr const char* kOpenblasChoice = "SCIR_BLAS_KERNEL_OPENBLAS_CHOICE";
constexpr const char* kRefused = "SCIR_BLAS_KERNEL_REFUSED";

std::optional<std::string> environment_value(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

// OpenBLAS compares kernel names without case.
bool same_kernel(const std::string& a, const std::string& b) {
  return a.size() == b.size() && strcasecmp(a.c_str(), b.c_str()) == 0;
}

std::string feature_summary(const CpuFeatures& features) {
  const std::string best = best_openblas_kernel(features);
  if (best == "Cooperlake") return "AVX-512 with bf16";
  if (best == "SkylakeX") return "AVX-512";
  if (best == "Haswell") return "AVX2 with FMA";
  if (best == "Sandybridge") return "AVX";
  return "no AVX";
}

// Deterministic values in [-1, 1): the check must not depend on a random stream's state.
std::vector<float> check_values(size_t count, uint32_t seed) {
  std::vector<float> values(count);
  for (float& value : values) {
    seed = seed * 1664525u + 1013904223u;
    value = static_cast<float>(seed >> 8) / static_cast<float>(1u << 23) - 1.0f;
  }
  return values;
}

// One sgemm call, column-major as BLAS is: C = alpha op(A) op(B) + beta C against the same sum
// in float64. Any summation order of k float32 products stays within gamma_k = k u / (1 - k u)
// of the magnitudes' sum (u = 2^-24); a wrong kernel is off by the size of the sums themselves.
std::string check_one_product(SgemmFunction sgemm, bool transpose_a, int m, int n, int k,
                              float alpha, float beta) {
  const std::vector<float> a = check_values(static_cast<size_t>(m) * k, 1u + m);
  const std::vector<float> b = check_values(static_cast<size_t>(k) * n, 2u + n);
  std::vector<float> c = check_values(static_cast<size_t>(m) * n, 3u + k);
  const std::vector<float> c_before = c;
  // beta = 0 must ignore C, NaN included.
  if (beta == 0) c.assign(c.size(), std::numeric_limits<float>::quiet_NaN());
  const char op_a = transpose_a ? 'T' : 'N', op_b = 'N';
  const int lda = transpose_a ? k : m, ldb = k, ldc = m;
  sgemm(&op_a, &op_b, &m, &n, &k, &alpha, a.data(), &lda, b.data(), &ldb, &beta, c.data(), &ldc);
  const double u = std::ldexp(1.0, -24);
  const double gamma = (k + 2) * u / (1 - (k + 2) * u);  // k products, alpha and beta
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < m; ++i) {
      double sum = 0, magnitude = 0;
      for (int p = 0; p < k; ++p) {
        const double x = transpose_a ? a[i * lda + p] : a[p * lda + i];
        const double product = x * b[j * ldb + p];
        sum += product;
        magnitude += std::abs(product);
      }
      const double before = beta == 0 ? 0.0 : c_before[j * ldc + i];
      const double want = alpha * sum + beta * before;
      const double bound = gamma * (std::abs(alpha) * magnitude + std::abs(beta * before));
      const double got = c[j * ldc + i];
      if (!(std::abs(got - want) <= 2 * bound + 1e-30)) {
        return cat("sgemm ", op_a, op_b, " ", m, "x", n, "x", k, " gave ", got, " at (", i, ", ", j,
                   ") where the float64 sum is ", want);
      }
    }
  }
  return "";
}

}  // namespace

CpuFeatures detect_cpu_features() {
  CpuFeatures features;
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  features.avx = __builtin_cpu_supports("avx");
  features.avx2 = __builtin_cpu_supports("avx2");
  features.fma = __builtin_cpu_supports("fma");
  features.avx512f = __builtin_cpu_supports("avx512f");
  features.avx512cd = __builtin_cpu_supports("avx512cd");
  features.avx512bw = __builtin_cpu_supports("avx512bw");
  features.avx512dq = __builtin_cpu_supports("avx512dq");
  features.avx512vl = __builtin_cpu_supports("avx512vl");
  features.avx512_bf16 = __builtin_cpu_supports("avx512bf16");
#endif
  return features;
}

std::string best_openblas_kernel(const CpuFeatures& f) {
  // What OpenBLAS's own detection asks of each (driver/others/dynamic.c): SkylakeX needs
  // AVX-512 F/CD/BW/DQ/VL, Cooperlake also AVX512_BF16, Haswell AVX2 and FMA.
  const bool skylake_x = f.avx512f && f.avx512cd && f.avx512bw && f.avx512dq && f.avx512vl;
  if (skylake_x && f.avx512_bf16) return "Cooperlake";
  if (skylake_x) return "SkylakeX";
  if (f.avx2 && f.fma) return "Haswell";
  if (f.avx) return "Sandybridge";
  return "";
}

int openblas_kernel_level(const std::string& name) {
  // Cooperlake adds bf16 products to SkylakeX's, whose float32 kernels it shares: one level.
  const std::pair<const char*, int> levels[] = {
      {"Sandybridge", 1}, {"Haswell", 2}, {"Zen", 2}, {"SkylakeX", 3}, {"Cooperlake", 3}};
  for (const auto& [kernel, level] : levels)
    if (same_kernel(name, kernel)) return level;
  return 0;
}

namespace {

// The x86-64 kernels whose needs scir knows, best first, with what each asks of the CPU (as
// best_openblas_kernel reads OpenBLAS's detection). Others, such as the generic Prescott, run
// on any x86-64 CPU or are OpenBLAS's to judge.
struct KernelNeeds {
  const char* name;
  const char* needs;
  bool (*runs)(const CpuFeatures&);
};
const KernelNeeds kKernelNeeds[] = {
    {"Cooperlake", "AVX-512 F/CD/BW/DQ/VL and AVX512_BF16",
     [](const CpuFeatures& f) { return best_openblas_kernel(f) == "Cooperlake"; }},
    {"SkylakeX", "AVX-512 F/CD/BW/DQ/VL",
     [](const CpuFeatures& f) { return openblas_kernel_level(best_openblas_kernel(f)) >= 3; }},
    {"Haswell", "AVX2 and FMA", [](const CpuFeatures& f) { return f.avx2 && f.fma; }},
    {"Zen", "AVX2 and FMA", [](const CpuFeatures& f) { return f.avx2 && f.fma; }},
    {"Sandybridge", "AVX", [](const CpuFeatures& f) { return f.avx; }},
};

}  // namespace

std::string openblas_kernel_problem(const std::string& name, const CpuFeatures& features) {
  for (const KernelNeeds& kernel : kKernelNeeds) {
    if (!same_kernel(name, kernel.name) || kernel.runs(features)) continue;
    std::string runnable;
    for (const KernelNeeds& other : kKernelNeeds)
      if (other.runs(features)) runnable += cat(runnable.empty() ? "" : ", ", other.name);
    return cat("OPENBLAS_CORETYPE=", name,
               " names an OpenBLAS kernel this CPU cannot run (it needs ", kernel.needs,
               "); this CPU runs ", runnable.empty() ? "" : runnable + " and ",
               "the generic Prescott, or unset it for OpenBLAS's or scir's choice");
  }
  return "";
}

std::string user_openblas_kernel_problem() {
  const BlasKernelEnvironment environment = read_blas_kernel_environment();
  if (!environment.coretype) return "";
  // scir's own request is checked by its sgemm test, not here.
  if (environment.requested && *environment.requested == *environment.coretype) return "";
  return openblas_kernel_problem(*environment.coretype, detect_cpu_features());
}

BlasKernelEnvironment read_blas_kernel_environment() {
  return {environment_value(kCoretype), environment_value(kRequested),
          environment_value(kOpenblasChoice), environment_value(kRefused)};
}

BlasKernelPlan plan_blas_kernel(const BlasKernelEnvironment& environment,
                                const std::string& loaded_kernel, const CpuFeatures& features) {
  using Action = BlasKernelPlan::Action;
  if (loaded_kernel.empty()) return {};  // not OpenBLAS
  if (environment.coretype) {
    if (environment.requested && *environment.requested == *environment.coretype)
      return {Action::kVerify, *environment.requested};
    return {};  // the user's own setting
  }
  if (environment.refused) return {};  // a requested kernel failed its check: OpenBLAS's own
  const std::string best = best_openblas_kernel(features);
  if (openblas_kernel_level(best) > openblas_kernel_level(loaded_kernel))
    return {Action::kRequest, best};
  return {};
}

std::string loaded_openblas_kernel() {
  auto corename = blas_symbol<char* (*)()>("openblas_get_corename");
  if (corename == nullptr) return "";
  const char* name = corename();
  return name ? name : "";
}

std::string check_sgemm(SgemmFunction sgemm) {
  if (sgemm == nullptr) sgemm = blas_symbol<SgemmFunction>("sgemm_");
  if (sgemm == nullptr) return "no sgemm_ in this process";
  // Odd sizes cross every register and cache block's edge; both layouts LibTorch calls.
  const struct {
    bool transpose_a;
    int m, n, k;
    float alpha, beta;
  } products[] = {{false, 67, 53, 129, 1.0f, 0.0f},
                  {true, 35, 97, 61, -0.5f, 2.0f},
                  {false, 16, 16, 16, 1.0f, 1.0f},
                  {true, 130, 9, 257, 1.0f, 0.0f}};
  for (const auto& p : products) {
    const std::string problem =
        check_one_product(sgemm, p.transpose_a, p.m, p.n, p.k, p.alpha, p.beta);
    if (!problem.empty()) return problem;
  }
  return "";
}

bool choose_blas_kernel() {
  const std::string loaded = loaded_openblas_kernel();
  const BlasKernelPlan plan =
      plan_blas_kernel(read_blas_kernel_environment(), loaded, detect_cpu_features());
  switch (plan.action) {
    case BlasKernelPlan::Action::kKeep:
      return false;
    case BlasKernelPlan::Action::kRequest:
      setenv(kCoretype, plan.kernel.c_str(), 1);
      setenv(kRequested, plan.kernel.c_str(), 1);
      setenv(kOpenblasChoice, loaded.c_str(), 1);
      return true;
    case BlasKernelPlan::Action::kVerify: {
      const std::string problem = same_kernel(loaded, plan.kernel)
                                      ? check_sgemm()
                                      : cat("OpenBLAS ran ", loaded, " instead");
      if (problem.empty()) return false;
      std::cerr << "scir: warning: OpenBLAS kernel " << plan.kernel << " refused (" << problem
                << "); running OpenBLAS's own choice\n";
      unsetenv(kCoretype);
      unsetenv(kRequested);
      setenv(kRefused, cat(plan.kernel, ": ", problem).c_str(), 1);
      return true;
    }
  }
  return false;
}

std::string blas_kernel_description() {
  const std::string loaded = loaded_openblas_kernel();
  if (loaded.empty()) return "not OpenBLAS";
  const BlasKernelEnvironment environment = read_blas_kernel_environment();
  if (environment.coretype && environment.requested &&
      *environment.requested == *environment.coretype) {
    // A restart that failed leaves the request in the environment without its effect.
    if (!same_kernel(loaded, *environment.requested))
      return cat(loaded, " (scir requested ", *environment.requested, ", which did not load)");
    return cat(loaded, " (chosen by scir for this CPU: ", feature_summary(detect_cpu_features()),
               "; OpenBLAS's own choice ", environment.openblas_choice.value_or("unknown"),
               "; sgemm checked)");
  }
  if (environment.coretype)
    return cat(loaded, " (OPENBLAS_CORETYPE=", *environment.coretype, " set by the user)");
  if (environment.refused)
    return cat(loaded, " (OpenBLAS's own choice; scir's choice refused: ", *environment.refused,
               ")");
  return cat(loaded, " (OpenBLAS's own choice: no better kernel for this CPU's ",
             feature_summary(detect_cpu_features()), ")");
}

}  // namespace scir
