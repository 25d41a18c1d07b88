// scir_hpc export: a model's responses to prompts in an evaluator's format. alpaca_eval: one
// JSON list of {"instruction", "output", "generator"} in prompt order, what AlpacaEval reads as
// model outputs (greedy by default, or sampled).
#include <filesystem>
#include <fstream>
#include <iostream>

#include "command.h"
#include "model_options.h"
#include "process_grid_options.h"
#include "sampling_job.h"
#include "scir/dist/agreement.h"
#include "scir/dist/sharding.h"
#include "scir/io/jsonl.h"

namespace scir::app {
namespace {

void declare(OptionSet& options) {
  declare_model_io_options(options, "prompts");
  options.add_string("format", "alpaca_eval", "output format: alpaca_eval")
      .add_string("generator", "", "the generator field (default: the model directory's name)");
  declare_sampling_options(options, /*greedy=*/true);
  declare_device_option(options);
}

void run(const OptionSet& options, Comm& comm) {
  ModelIo io;
  std::vector<PromptRecord> prompts;
  std::vector<std::string> texts;
  SamplingOptions sampling;
  const std::unique_ptr<ProcessGrid> grid = make_device_grid(options, comm);
  agree_or_throw(comm, [&] {
    if (options.get_string("format") != "alpaca_eval") options.reject("format", "alpaca_eval");
    sampling = read_sampling_options(options);
    io = open_model_io(options, "prompts");
    check_max_new_tokens(options, io.loaded.model->config());
    prompts = read_prompt_records(options.get_string("prompts"), io.encoding());
    texts = read_prompt_texts(options.get_string("prompts"));
    place_model_io(options, *grid, io);
  });
  std::string generator = options.get_string("generator");
  if (generator.empty())
    generator = std::filesystem::path(options.get_string("model")).lexically_normal().filename();
  std::vector<std::pair<size_t, std::string>> outputs;
  for (const auto& [item, response] : sample_responses(comm, io, prompts, 1, sampling))
    outputs.emplace_back(item, json_line(io.loaded.tokenizer->decode(response.ids)));
  const std::vector<std::string> ordered = gather_in_item_order(comm, outputs);
  if (comm.rank() != 0) return;
  nlohmann::json list = nlohmann::json::array();
  for (size_t i = 0; i < ordered.size(); ++i) {
    list.push_back({{"instruction", texts[i]},
                    {"output", nlohmann::json::parse(ordered[i])},
                    {"generator", generator}});
  }
  const std::string path = options.get_string("output");
  const std::string text = list.dump(2) + "\n";
  if (path == "-") {
    std::cout << text << std::flush;
    return;
  }
  // Written under a temporary name and renamed: no partial file.
  std::ofstream(path + ".tmp") << text;
  std::filesystem::rename(path + ".tmp", path);
}

}  // namespace

Command export_command() {
  return {"export", "a model's responses to prompts in an evaluator's format (alpaca_eval)",
          declare, run};
}

}  // namespace scir::app
