#include "sampling_job.h"

#include "scir/dist/sharding.h"

namespace scir::app {

void declare_sampling_options(OptionSet& options, bool greedy) {
  options.add_double("temperature", 0.7, "sampling temperature (> 0)")
      .add_double("top-p", 0.9, "nucleus size: smallest set of tokens reaching this mass")
      .add_int("max-new-tokens", 64, "new tokens at most a sample")
      .add_int("seed", 0, "seed of the sampling streams")
      .add_bool("greedy", greedy, "take the most likely token (ignores temperature and top-p)");
}

void check_max_new_tokens(const OptionSet& options, const ModelConfig& config) {
  if (options.get_int("max-new-tokens") > config.max_position_embeddings) {
    options.reject("max-new-tokens", cat("at most the model's context of ",
                                         config.max_position_embeddings, " tokens"));
  }
}

SamplingOptions read_sampling_options(const OptionSet& options) {
  SamplingOptions sampling;
  sampling.greedy = options.get_bool("greedy");
  sampling.temperature = options.get_double("temperature");
  sampling.top_p = options.get_double("top-p");
  sampling.max_new_tokens = options.get_int("max-new-tokens");
  sampling.seed = static_cast<uint64_t>(options.get_int("seed"));
  if (sampling.temperature <= 0) options.reject("temperature", "a number > 0");
  if (sampling.top_p <= 0 || sampling.top_p > 1) options.reject("top-p", "a number in (0, 1]");
  if (sampling.max_new_tokens < 1) options.reject("max-new-tokens", "an integer >= 1");
  return sampling;
}

std::vector<std::pair<size_t, SampledResponse>> sample_responses(
    Comm& comm, const ModelIo& io, const std::vector<PromptRecord>& prompts, size_t samples,
    const SamplingOptions& sampling) {
  const std::vector<size_t> mine =
      shard_indices(prompts.size() * samples, comm.rank(), comm.size());
  const Tokenizer& tokenizer = *io.loaded.tokenizer;
  std::vector<std::pair<size_t, SampledResponse>> responses;
  for (size_t start = 0; start < mine.size(); start += io.batch_size) {
    const size_t end = std::min(mine.size(), start + static_cast<size_t>(io.batch_size));
    std::vector<GenerationRequest> batch;
    for (size_t i = start; i < end; ++i) {
      const PromptRecord& prompt = prompts[mine[i] / samples];
      batch.push_back({prompt.prompt, prompt.key, mine[i] % samples});
    }
    const auto outputs =
        generate(*io.loaded.model, batch, sampling, tokenizer.stop_ids(), tokenizer.pad_id());
    for (size_t i = start; i < end; ++i)
      responses.push_back({mine[i], {mine[i] / samples, mine[i] % samples, outputs[i - start]}});
  }
  return responses;
}

}  // namespace scir::app
