// Generation's decode loop on the model's device (a GPU's; a CPU model's when asked, for tests):
// no host round trip a step, and finished rows refilled with waiting requests.
//
// - The attention mask, the finished flags, the stop test, each row's token count and its
//   sampling uniforms (stream_uniforms: the host's numbers bit for bit) live on the device. The
//   host reads the finished flags every options.finished_check_every steps, and the tokens of
//   the rows that have finished then.
// - At most options.slots rows decode at once (0: every request). At a check, a finished row's
//   slot takes the next waiting request: its prompt is run alone (the prefill) and its keys and
//   values are copied into the slot so that they end where every other row's end, the cache
//   index all rows write next. Positions come from the mask (real tokens before an index), so a
//   refilled row has its own positions from 0. A batch then no longer runs at the pace of its
//   longest sample.
// - When the cache index reaches the cache's capacity, every row's live keys (none before a
//   live row's prompt) are shifted to the start of the cache: one copy, and the frontier falls
//   back to the longest live row.
// - A step's shapes never change: it writes at the cache's write_index (a device tensor) and
//   attends over the whole capacity under the mask, and it updates the decoder's tensors in
//   place. So on a GPU it is captured as a CUDA graph after two eager steps and replayed
//   (model/cuda_decode_graph; SamplingOptions::cuda_graph); refills and shifts happen between
//   replays, in place.
#pragma once

#include <cstdint>
#include <vector>

#include "scir/model/generation.h"

namespace scir {

// Positions of that loop's cache: the longest prompt and max_new_tokens, and where fewer slots
// than requests refill rows (`refilling`), max_new_tokens more between two shifts of the cache,
// within the model's max_positions.
int64_t device_cache_positions(int64_t longest_prompt, int64_t max_new_tokens, bool refilling,
                               int64_t max_positions);

std::vector<std::vector<int64_t>> decode_on_device(Transformer& model,
                                                   const std::vector<GenerationRequest>& requests,
                                                   const SamplingOptions& options,
                                                   const std::vector<int64_t>& stop_ids,
                                                   int64_t pad_id);

}  // namespace scir
