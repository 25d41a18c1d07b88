// Products of sizes and counts that a file or an option supplies, checked: a shape or a count
// near the integer limit is refused before it wraps around and sizes an allocation.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>

namespace scir {

// a * b, or nothing when it does not fit in uint64_t.
inline std::optional<uint64_t> checked_product(uint64_t a, uint64_t b) {
  uint64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return std::nullopt;
  return product;
}

// a + b, or nothing when it does not fit in uint64_t.
inline std::optional<uint64_t> checked_sum(uint64_t a, uint64_t b) {
  uint64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return std::nullopt;
  return sum;
}

// The product of every factor, or nothing when a partial product leaves uint64_t.
inline std::optional<uint64_t> checked_product(std::initializer_list<uint64_t> factors) {
  uint64_t product = 1;
  for (const uint64_t factor : factors) {
    const std::optional<uint64_t> next = checked_product(product, factor);
    if (!next) return std::nullopt;
    product = *next;
  }
  return product;
}

}  // namespace scir
