#include "scir/model/stream_uniforms.h"

#include "scir/core/rng.h"

namespace scir {
namespace {

// z >> shift as a uint64 shift: LibTorch's >> on int64 keeps the sign.
torch::Tensor shifted_right(const torch::Tensor& z, int shift) {
  return z.__rshift__(shift).bitwise_and(static_cast<int64_t>(~0ULL >> shift));
}

// A uint64 constant as an int64 scalar of the same bits (a kernel argument: nothing is copied).
at::Scalar bits(uint64_t value) { return at::Scalar(static_cast<int64_t>(value)); }

// The counter's output from z = state + (k + 1) * increment.
torch::Tensor mixed_uniform(torch::Tensor z) {
  z = (z ^ shifted_right(z, 30)).mul(bits(RngStream::kMix1));
  z = (z ^ shifted_right(z, 27)).mul(bits(RngStream::kMix2));
  z = z ^ shifted_right(z, 31);
  return shifted_right(z, 11).to(torch::kDouble) * 0x1.0p-53;
}

}  // namespace

torch::Tensor stream_states(const std::vector<uint64_t>& states, const torch::Device& device) {
  std::vector<int64_t> as_bits(states.begin(), states.end());
  return torch::tensor(as_bits, torch::kLong).to(device);
}

torch::Tensor stream_uniforms(const torch::Tensor& states, uint64_t k) {
  return mixed_uniform(states.add(bits((k + 1) * RngStream::kIncrement)));
}

torch::Tensor stream_uniforms(const torch::Tensor& states, const torch::Tensor& draws) {
  return mixed_uniform(states + (draws + 1).mul(bits(RngStream::kIncrement)));
}

}  // namespace scir
