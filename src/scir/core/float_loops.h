// Small loops over contiguous float32 rows, written so the compiler vectorises them.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

// Forced inline: the callers compiled once per instruction set (model/cpu_attention) then run
// these at their own vector width.
#if defined(__GNUC__)
#define SCIR_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define SCIR_ALWAYS_INLINE inline
#endif

namespace scir {

// Whether a tensor's values are one contiguous float32 array on the CPU, which these loops can
// run over through data_ptr<float>().
inline bool is_contiguous_cpu_float(const torch::Tensor& t) {
  return t.device().is_cpu() && t.scalar_type() == torch::kFloat && t.is_contiguous();
}

// Rows handed to at::parallel_for in chunks of at least this many values: threads only for work
// worth waking them.
constexpr int64_t kValuesPerThreadChunk = 16384;

// Eight running sums the compiler keeps in vector registers (a single sum would be a chain of
// dependent scalar additions).
SCIR_ALWAYS_INLINE float dot(const float* a, const float* b, int64_t n) {
  float partial[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int lane = 0; lane < 8; ++lane) partial[lane] += a[i + lane] * b[i + lane];
  }
  float total = 0;
  for (int lane = 0; lane < 8; ++lane) total += partial[lane];
  for (; i < n; ++i) total += a[i] * b[i];
  return total;
}

// The sum of squares accumulated in float64, four running sums the compiler keeps in vector
// registers (for norms that must not lose the small values to float32 rounding).
inline double squares_in_double(const float* x, int64_t n) {
  double partial[4] = {0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (int lane = 0; lane < 4; ++lane) {
      const double value = x[i + lane];
      partial[lane] += value * value;
    }
  }
  double total = (partial[0] + partial[1]) + (partial[2] + partial[3]);
  for (; i < n; ++i) total += static_cast<double>(x[i]) * x[i];
  return total;
}

// One head's rotary rotation (rows of head_dim floats): out = x cos + rotate_half(x) sin with
// rotate_half(x) = [-x2, x1]; or, with `transpose`, the gradient's rotation
// out = x cos + rotate_half^T(x sin) with rotate_half^T(z) = [z2, -z1]. out may be x.
inline void rotate_head(const float* x, const float* cos, const float* sin, int64_t head_dim,
                        bool transpose, float* out) {
  const int64_t half = head_dim / 2;
  if (transpose) {
    for (int64_t i = 0; i < half; ++i) {
      const float first = x[i], second = x[i + half];
      out[i] = first * cos[i] + second * sin[i + half];
      out[i + half] = second * cos[i + half] - first * sin[i];
    }
    return;
  }
  for (int64_t i = 0; i < half; ++i) {
    const float first = x[i], second = x[i + half];
    out[i] = first * cos[i] - second * sin[i];
    out[i + half] = second * cos[i + half] + first * sin[i + half];
  }
}

// e^x for n values in place, in a loop the compiler vectorises (glibc's expf is a call per
// value; LibTorch's vectorised exp is not reachable from a loop). Cody-Waite reduction
// x = k ln2 + r with |r| <= ln2 / 2, e^r by its Taylor series to r^7 (truncation below 1e-8
// relative), 2^k built in the exponent bits. Arguments below -87.3 give exactly 0 (so -inf does,
// as in an exact softmax), above 88.3 they are clamped; NaN stays NaN.
SCIR_ALWAYS_INLINE void exp_in_place(float* x, int64_t n) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2High = 0.693145751953125f;  // ln 2 in its first 16 bits: k * kLn2High exact
  constexpr float kLn2Low = 1.42860682030941723e-6f;
  constexpr float kRoundingShift = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  for (int64_t i = 0; i < n; ++i) {
    const float original = x[i];
    const bool is_nan = original != original;
    // NaN computes as -87.3 (a float-to-int conversion of NaN is undefined) and is put back below.
    const float low = original < -87.3f || is_nan ? -87.3f : original;
    const float v = low > 88.3f ? 88.3f : low;
    const float k = (v * kLog2e + kRoundingShift) - kRoundingShift;
    const float r = (v - k * kLn2High) - k * kLn2Low;
    const float series =
        1.0f +
        r * (1.0f +
             r * (0.5f +
                  r * (1.0f / 6 +
                       r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
    // k is in [-126, 127], so the biased exponent k + 127 is in [1, 254].
    const uint32_t bits = static_cast<uint32_t>(static_cast<int32_t>(k) + 127) << 23;
    float power;
    std::memcpy(&power, &bits, sizeof power);
    const float value = original < -87.3f ? 0.0f : series * power;
    x[i] = is_nan ? original : value;
  }
}

// Values SwiGLU's passes handle at once: the exponentials of a piece are taken in place in the
// output and read back while still in the L1 cache.
constexpr int64_t kSwigluPiece = 1024;

// SwiGLU's gate over one row: out = silu(gate) * up = gate / (1 + e^-gate) * up for `width`
// values (model/swiglu's forward, and the CPU decoder's).
SCIR_ALWAYS_INLINE void swiglu_row(const float* gate, const float* up, float* out, int64_t width) {
  for (int64_t begin = 0; begin < width; begin += kSwigluPiece) {
    const int64_t count = std::min(kSwigluPiece, width - begin);
    const float* g = gate + begin;
    const float* u = up + begin;
    float* o = out + begin;
    for (int64_t i = 0; i < count; ++i) o[i] = -g[i];
    exp_in_place(o, count);
    for (int64_t i = 0; i < count; ++i) o[i] = g[i] / (1.0f + o[i]) * u[i];
  }
}

}  // namespace scir
