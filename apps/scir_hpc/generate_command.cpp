// scir_hpc generate: N sampled (or greedy) responses per prompt of a JSONL file, sharded over
// ranks; each sample depends only on (seed, prompt id, sample index).
#include "command.h"
#include "model_options.h"
#include "scir/dist/agreement.h"
#include "scir/dist/sharding.h"
#include "scir/io/jsonl.h"
#include "scir/model/generation.h"

namespace scir::app {
namespace {

void declare(OptionSet& options) {
  declare_model_io_options(options);
  options.add_int("n", 1, "samples a prompt")
      .add_double("temperature", 0.7, "sampling temperature (> 0)")
      .add_double("top-p", 0.9, "nucleus size: smallest set of tokens reaching this mass")
      .add_int("max-new-tokens", 64, "new tokens at most a sample")
      .add_int("seed", 0, "seed of the sampling streams")
      .add_bool("greedy", false, "take the most likely token (ignores temperature and top-p)");
}

SamplingOptions sampling_options(const OptionSet& options) {
  SamplingOptions sampling;
  sampling.greedy = options.get_bool("greedy");
  sampling.temperature = options.get_double("temperature");
  sampling.top_p = options.get_double("top-p");
  sampling.max_new_tokens = options.get_int("max-new-tokens");
  sampling.seed = static_cast<uint64_t>(options.get_int("seed"));
  if (sampling.temperature <= 0) options.reject("temperature", "a number > 0");
  if (sampling.top_p <= 0 || sampling.top_p > 1) options.reject("top-p", "a number in (0, 1]");
  if (sampling.max_new_tokens < 1) options.reject("max-new-tokens", "an integer >= 1");
  if (options.get_int("n") < 1) options.reject("n", "an integer >= 1");
  return sampling;
}

void run(const OptionSet& options, Comm& comm) {
  ModelIo io;
  std::vector<PromptRecord> prompts;
  SamplingOptions sampling;
  agree_or_throw(comm, [&] {
    sampling = sampling_options(options);
    io = open_model_io(options);
    prompts = read_prompt_records(options.get_string("input"), io.encoding());
  });
  const size_t samples = static_cast<size_t>(options.get_int("n"));
  // Work items are (prompt, sample) pairs, prompt-major, spread over ranks.
  const std::vector<size_t> mine =
      shard_indices(prompts.size() * samples, comm.rank(), comm.size());
  const Tokenizer& tokenizer = *io.loaded.tokenizer;
  std::vector<std::pair<size_t, std::string>> lines;
  for (size_t start = 0; start < mine.size(); start += io.batch_size) {
    const size_t end = std::min(mine.size(), start + static_cast<size_t>(io.batch_size));
    std::vector<GenerationRequest> batch;
    for (size_t i = start; i < end; ++i) {
      const PromptRecord& prompt = prompts[mine[i] / samples];
      batch.push_back({prompt.prompt, prompt.key, mine[i] % samples});
    }
    const auto outputs =
        generate(*io.loaded.model, batch, sampling, tokenizer.eos_id(), tokenizer.pad_id());
    for (size_t i = start; i < end; ++i) {
      const auto& response = outputs[i - start];
      const nlohmann::json out = {{"id", prompts[mine[i] / samples].id},
                                  {"sample", mine[i] % samples},
                                  {"response", tokenizer.decode(response)},
                                  {"response_ids", response}};
      lines.emplace_back(mine[i], json_line(out));
    }
  }
  write_output_lines(options, comm.rank(), gather_in_item_order(comm, lines));
}

}  // namespace

Command generate_command() {
  return {"generate", "sample responses to prompts with a KV cache (JSONL in, JSONL out)", declare,
          run};
}

}  // namespace scir::app
