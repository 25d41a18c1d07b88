// A batch of generation requests as one tensor: prompts padded on the left, so that every
// prompt ends at the same cache index and one decoding step serves all rows, with each row's
// random stream (RngStream, derived from the seed, prompt id and sample index).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "scir/model/generation.h"

namespace scir {

struct LeftPaddedPrompts {
  torch::Tensor ids;              // [rows, longest] (host)
  torch::Tensor mask;             // [rows, longest + room] (host), 1 at the prompts' tokens
  std::vector<uint64_t> streams;  // RngStream states, one a row
  int64_t longest = 0;
};

// `room` columns of mask follow the prompts, zero, for the tokens to come.
LeftPaddedPrompts left_padded(const std::vector<GenerationRequest>& requests, uint64_t seed,
                              int64_t room, int64_t pad_id);

}  // namespace scir
