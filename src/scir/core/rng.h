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
  // The stream is a counter: its draw k (0, 1, ...) from `state` is a function of the two alone,
  // so any draw can be computed without the ones before it (and on a device: model/
  // stream_uniforms). next_u64() is u64_at(state(), 0), then the state moves on by one.
  static uint64_t u64_at(uint64_t state, uint64_t k);
  static double uniform_at(uint64_t state, uint64_t k);
  // The constants of the counter's step and of the mix, for the device version.
  static constexpr uint64_t kIncrement = 0x9e3779b97f4a7c15ULL;
  static constexpr uint64_t kMix1 = 0xbf58476d1ce4e5b9ULL, kMix2 = 0x94d049bb133111ebULL;

 private:
  uint64_t state_;
};

}  // namespace scir
