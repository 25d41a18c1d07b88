#include "scir/model/left_padded_prompts.h"

#include <algorithm>

#include "scir/core/rng.h"

namespace scir {

LeftPaddedPrompts left_padded(const std::vector<GenerationRequest>& requests, uint64_t seed,
                              int64_t room, int64_t pad_id) {
  const int64_t rows = static_cast<int64_t>(requests.size());
  LeftPaddedPrompts batch;
  for (const auto& request : requests)
    batch.longest = std::max<int64_t>(batch.longest, request.prompt.size());
  batch.ids = torch::full({rows, batch.longest}, pad_id, torch::kLong);
  batch.mask = torch::zeros({rows, batch.longest + room}, torch::kLong);
  auto id_rows = batch.ids.accessor<int64_t, 2>();
  auto mask_rows = batch.mask.accessor<int64_t, 2>();
  for (int64_t b = 0; b < rows; ++b) {
    const auto& prompt = requests[b].prompt;
    const int64_t offset = batch.longest - static_cast<int64_t>(prompt.size());
    for (size_t k = 0; k < prompt.size(); ++k) {
      id_rows[b][offset + k] = prompt[k];
      mask_rows[b][offset + k] = 1;
    }
    batch.streams.push_back(
        RngStream::derive(seed, {requests[b].prompt_id, requests[b].sample_index}).state());
  }
  return batch;
}

}  // namespace scir
