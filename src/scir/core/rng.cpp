#include "scir/core/rng.h"

#include <utility>

namespace scir {
namespace {

uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * RngStream::kMix1;
  z = (z ^ (z >> 27)) * RngStream::kMix2;
  return z ^ (z >> 31);
}

double to_uniform(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

}  // namespace

RngStream RngStream::derive(uint64_t seed, std::initializer_list<uint64_t> purpose) {
  uint64_t state = mix(seed + 0x9e3779b97f4a7c15ULL);
  for (uint64_t part : purpose) state = mix(state ^ mix(part + 0x632be59bd9b4e019ULL));
  return RngStream(state);
}

uint64_t RngStream::u64_at(uint64_t state, uint64_t k) { return mix(state + (k + 1) * kIncrement); }

double RngStream::uniform_at(uint64_t state, uint64_t k) { return to_uniform(u64_at(state, k)); }

uint64_t RngStream::next_u64() { return u64_at(std::exchange(state_, state_ + kIncrement), 0); }

double RngStream::next_uniform() { return to_uniform(next_u64()); }

}  // namespace scir
