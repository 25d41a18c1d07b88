// Small loops over contiguous float32 rows, written so the compiler vectorises them.
#pragma once

#include <cstdint>

namespace scir {

// Eight running sums the compiler keeps in vector registers (a single sum would be a chain of
// dependent scalar additions).
inline float dot(const float* a, const float* b, int64_t n) {
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

}  // namespace scir
