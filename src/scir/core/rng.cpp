#include "scir/core/rng.h"

namespace scir {
namespace {

uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

RngStream RngStream::derive(uint64_t seed, std::initializer_list<uint64_t> purpose) {
  uint64_t state = mix(seed + 0x9e3779b97f4a7c15ULL);
  for (uint64_t part : purpose) state = mix(state ^ mix(part + 0x632be59bd9b4e019ULL));
  return RngStream(state);
}

uint64_t RngStream::next_u64() {
  state_ += 0x9e3779b97f4a7c15ULL;
  return mix(state_);
}

double RngStream::next_uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

}  // namespace scir
