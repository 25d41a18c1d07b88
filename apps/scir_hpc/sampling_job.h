// Sampling responses to a JSONL file of prompts, shared by generate (JSONL out) and export
// (AlpacaEval's JSON list): the sampling options, and the work itself, sharded over ranks with
// each sample drawn from its own stream (seed, prompt id, sample index).
#pragma once

#include <string>
#include <vector>

#include "model_options.h"
#include "scir/dist/comm.h"
#include "scir/model/generation.h"

namespace scir::app {

// temperature, top-p, max-new-tokens, seed, greedy (default `greedy`).
void declare_sampling_options(OptionSet& options, bool greedy);
SamplingOptions read_sampling_options(const OptionSet& options);
// max-new-tokens within the model's context: a sample cannot be longer, and a count near the
// integer limit would otherwise size the KV cache.
void check_max_new_tokens(const OptionSet& options, const ModelConfig& config);

struct SampledResponse {
  size_t prompt = 0;  // index in the prompt list
  size_t sample = 0;
  std::vector<int64_t> ids;
};

// `samples` responses a prompt; items (prompt, sample) prompt-major. Returns this rank's
// responses with their item index (for gather_in_item_order).
std::vector<std::pair<size_t, SampledResponse>> sample_responses(
    Comm& comm, const ModelIo& io, const std::vector<PromptRecord>& prompts, size_t samples,
    const SamplingOptions& sampling);

}  // namespace scir::app
