// scir_hpc generate: N sampled (or greedy) responses per prompt of a JSONL file, sharded over
// ranks (over model copies with --tp); each sample depends only on (seed, prompt id, sample
// index).
#include "command.h"
#include "model_options.h"
#include "process_grid_options.h"
#include "sampling_job.h"
#include "scir/core/checked_arithmetic.h"
#include "scir/dist/agreement.h"
#include "scir/dist/sharding.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/io/jsonl.h"

namespace scir::app {
namespace {

constexpr long long kMaxSamples = 1'000'000;

void declare(OptionSet& options) {
  declare_model_io_options(options);
  options.add_int("n", 1, "samples a prompt");
  declare_sampling_options(options, /*greedy=*/false);
  declare_tensor_parallel_option(options);
}

void run(const OptionSet& options, Comm& comm) {
  ModelIo io;
  std::vector<PromptRecord> prompts;
  SamplingOptions sampling;
  const std::unique_ptr<ProcessGrid> grid = make_tensor_parallel_grid(options, comm);
  agree_or_throw(comm, [&] {
    sampling = read_sampling_options(options);
    const long long samples = options.get_int("n");
    if (samples < 1 || samples > kMaxSamples)
      options.reject("n", cat("an integer in [1, ", kMaxSamples, "]"));
    io = open_model_io(options);
    check_max_new_tokens(options, io.loaded.model->config());
    prompts = read_prompt_records(options.get_string("input"), io.encoding());
    // Samples are numbered prompt x n + sample; the count must fit the int the gather uses.
    const std::optional<uint64_t> total =
        checked_product(prompts.size(), static_cast<uint64_t>(samples));
    if (!total || *total > static_cast<uint64_t>(INT32_MAX)) {
      options.reject("n", cat("at most ", INT32_MAX / std::max<size_t>(1, prompts.size()),
                              " for the ", prompts.size(), " prompts (2^31 - 1 samples in all)"));
    }
    place_model_io(options, *grid, io);
  });
  // The ranks of one copy decide the same tokens from the same joined logits and streams.
  Comm& copies = grid->data();
  const size_t samples = static_cast<size_t>(options.get_int("n"));
  std::vector<std::pair<size_t, std::string>> lines;
  for (const auto& [item, response] : sample_responses(copies, io, prompts, samples, sampling)) {
    nlohmann::json out = {{"id", prompts[response.prompt].id},
                          {"sample", response.sample},
                          {"response_ids", response.ids}};
    // A model without a tokenizer answers in ids alone.
    if (io.loaded.tokenizer->has_text())
      out["response"] = io.loaded.tokenizer->decode(response.ids);
    lines.emplace_back(item, json_line(out));
  }
  write_output_lines(options, comm.rank(), gather_in_item_order(copies, lines));
}

}  // namespace

Command generate_command() {
  return {"generate", "sample responses to prompts with a KV cache (JSONL in, JSONL out)", declare,
          run};
}

}  // namespace scir::app
