#include "model_options.h"

#include "scir/core/option_binding.h"
#include "scir/io/jsonl.h"
#include "scir/io/output_paths.h"
#include "scir/io/peft_adapter.h"
#include "scir/model/precision.h"

namespace scir::app {

void declare_model_io_options(OptionSet& options, const std::string& input) {
  options.add_required_string("model", "Hugging Face model directory (config.json, safetensors)")
      .add_required_string(input, "input JSONL file")
      .add_string("adapter", "",
                  "a PEFT LoRA adapter directory (adapter_config.json, "
                  "adapter_model.safetensors), merged into the model's weights before use")
      .add_bool("merge", true,
                "with --adapter: merge it into the weights (false: keep it separate, computed "
                "beside each projection)")
      .add_string("output", "-", "output JSONL file ('-': stdout)")
      .add_string("dtype", "float32", "compute dtype: float32, bfloat16 or float16")
      .add_string("chat-template", "none",
                  "how a text prompt is wrapped: none, plain (a newline after), mistral "
                  "([INST] ... [/INST]), chatml, llama3, or model (the model's own template's "
                  "family and default system message)")
      .add_int("batch-size", 16, "sequences a forward pass");
}

void merge_or_check_adapter(const OptionSet& options, Transformer& model) {
  const std::string adapter = options.get_string("adapter");
  if (adapter.empty()) {
    if (options.was_set("merge")) options.reject("merge", "no value without --adapter");
  } else if (options.get_bool("merge")) {
    merge_peft_adapter(model, adapter);
  } else {
    check_peft_adapter_fits(adapter, model.config());
  }
}

std::unique_ptr<LoraAdapter> attach_unmerged_adapter(const OptionSet& options, Transformer& model) {
  if (options.get_string("adapter").empty() || options.get_bool("merge")) return nullptr;
  return attach_peft_adapter(model, options.get_string("adapter"));
}

void place_model_io(const OptionSet& options, const ProcessGrid& grid, ModelIo& io) {
  place_on_grid(grid, *io.loaded.model);
  io.adapter = attach_unmerged_adapter(options, *io.loaded.model);
}

ModelIo open_model_io(const OptionSet& options, const std::string& input) {
  ModelIo io;
  io.batch_size = options.get_int("batch-size");
  if (io.batch_size < 1) options.reject("batch-size", "an integer >= 1");
  io.chat_template = read_choice(options, "chat-template", chat_template_names());
  const torch::ScalarType dtype = read_choice(options, "dtype", dtype_names());
  options.existing_file(input);
  check_output_file(options.get_string("output"));  // before the model loads and runs
  io.loaded = load_hf_model(options.get_string("model"), dtype);
  merge_or_check_adapter(options, *io.loaded.model);
  resolve_chat_template(io.chat_template, *io.loaded.tokenizer);  // 'model' needs one it knows
  io.loaded.model->eval();
  return io;
}

void write_output_lines(const OptionSet& options, int rank, const std::vector<std::string>& lines) {
  if (rank != 0) return;
  JsonlWriter writer(options.get_string("output"));
  for (const std::string& line : lines) writer.write_line(line);
  writer.commit();
}

}  // namespace scir::app
