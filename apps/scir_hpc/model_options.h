// Options shared by the commands that run a model over a JSONL file (score, generate).
#pragma once

#include "scir/core/config.h"
#include "scir/data/text_records.h"
#include "scir/io/hf_checkpoint.h"

namespace scir::app {

// `input` names the option of the input JSONL file ("input"; export calls it "prompts").
void declare_model_io_options(OptionSet& options, const std::string& input = "input");

struct ModelIo {
  LoadedModel loaded;
  ChatTemplate chat_template = ChatTemplate::kNone;
  int64_t batch_size = 16;
  TextEncoding encoding() const {
    return {*loaded.tokenizer, chat_template, loaded.model->config().vocab_size,
            /*append_eos=*/false};
  }
};

// Validates the shared options and loads the model; InputErrors name the option or file.
ModelIo open_model_io(const OptionSet& options, const std::string& input = "input");

// Writes the lines on rank 0 to --output ("-": stdout), under a temporary name until complete.
void write_output_lines(const OptionSet& options, int rank, const std::vector<std::string>& lines);

}  // namespace scir::app
