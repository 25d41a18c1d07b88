// Many random streams' uniforms at one draw, computed where the streams' states live. The
// decode loop on a device (model/generation) draws its sampling uniforms with it: the numbers
// are the host's RngStream::uniform_at bit for bit, so a sample depends only on (seed, prompt id,
// sample index) on every device, and no uniform is copied from the host a step.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace scir {

// RngStream states as an int64 tensor (their bits) on `device`.
torch::Tensor stream_states(const std::vector<uint64_t>& states, const torch::Device& device);

// RngStream::uniform_at(states[i], k) for every i ([n] float64 on the states' device), with
// int64 tensor operations: two's-complement wrap-around is uint64 arithmetic, and the logical
// shifts are arithmetic ones masked.
torch::Tensor stream_uniforms(const torch::Tensor& states, uint64_t k);
// RngStream::uniform_at(states[i], draws[i]): each stream at its own draw (draws: [n] int64).
torch::Tensor stream_uniforms(const torch::Tensor& states, const torch::Tensor& draws);

}  // namespace scir
