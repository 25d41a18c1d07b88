// scir_hpc generate: N sampled (or greedy) responses per prompt of a JSONL file, sharded over
// ranks (over model copies with --tp); each sample depends only on (seed, prompt id, sample
// index).
#include "command.h"
#include "model_options.h"
#include "process_grid_options.h"
#include "sampling_job.h"
#include "scir/dist/agreement.h"
#include "scir/dist/sharding.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/io/jsonl.h"

namespace scir::app {
namespace {

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
    if (options.get_int("n") < 1) options.reject("n", "an integer >= 1");
    io = open_model_io(options);
    prompts = read_prompt_records(options.get_string("input"), io.encoding());
    place_on_grid(*grid, *io.loaded.model);
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
