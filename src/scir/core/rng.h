// Counter-based random streams. Every random choice in scir_hpc draws from a stream derived
// from (seed, and integers naming the purpose: iteration, phase, rank, prompt id, sample index),
// so a result depends on what it is, not on batch composition or rank count.
#pragma once

#include <cstdint>
#include <initializer_list>

namespace scir {

// SplitMix64 (Steele, Lea, Flood 2014): a 64-bit state advanced by a constant, then mixed.
class RngStream {
 public:
  explicit RngStream(uint64_t state) : state_(state) {}
  // A stream for seed and a list of purpose numbers; different lists give independent streams.
  static RngStream derive(uint64_t seed, std::initializer_list<uint64_t> purpose);

  uint64_t next_u64();
  // Uniform in [0, 1) with 53 random bits.
  double next_uniform();
  uint64_t state() const { return state_; }

 private:
  uint64_t state_;
};

}  // namespace scir
