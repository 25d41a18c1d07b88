// Options shared by the commands that run a model over a JSONL file (score, generate).
#pragma once

#include "scir/core/config.h"
#include "scir/data/text_records.h"
#include "scir/dist/process_grid.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/model/lora_adapter.h"

namespace scir::app {

// `input` names the option of the input JSONL file ("input"; export calls it "prompts").
void declare_model_io_options(OptionSet& options, const std::string& input = "input");

struct ModelIo {
  LoadedModel loaded;
  std::unique_ptr<LoraAdapter> adapter;  // --adapter with --merge false: on the model, unmerged
  ChatTemplate chat_template = ChatTemplate::kNone;
  int64_t batch_size = 16;
  TextEncoding encoding() const {
    return {*loaded.tokenizer, chat_template, loaded.model->config().vocab_size,
            /*append_eos=*/false};
  }
};

// --adapter DIR, before the model is placed: merged into its weights, or with --merge false
// only checked against the model's shape. Refuses --merge without --adapter.
void merge_or_check_adapter(const OptionSet& options, Transformer& model);
// After the model is placed on the grid: with --adapter and --merge false, the adapter attached
// unmerged (W x + s B (A x) at every projection, on the model's device, cut with the model
// under --tp > 1) and returned; else null.
std::unique_ptr<LoraAdapter> attach_unmerged_adapter(const OptionSet& options, Transformer& model);
// place_on_grid, then attach_unmerged_adapter into io.adapter.
void place_model_io(const OptionSet& options, const ProcessGrid& grid, ModelIo& io);

// Validates the shared options and loads the model; InputErrors name the option or file.
ModelIo open_model_io(const OptionSet& options, const std::string& input = "input");

// Writes the lines on rank 0 to --output ("-": stdout), under a temporary name until complete.
void write_output_lines(const OptionSet& options, int rank, const std::vector<std::string>& lines);

}  // namespace scir::app
