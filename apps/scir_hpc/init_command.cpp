// scir_hpc init: a randomly initialised Llama/Mistral model of a given size, written as a
// Hugging Face model directory.
#include <iostream>

#include "command.h"
#include "model_shape_options.h"
#include "scir/core/option_binding.h"
#include "scir/dist/agreement.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/io/output_paths.h"
#include "scir/model/precision.h"
#include "scir/tokenizer/byte_tokenizer.h"
#include "scir/tokenizer/sentencepiece_tokenizer.h"

namespace scir::app {
namespace {

void declare(OptionSet& options) {
  options.add_required_string("out", "model directory to write")
      .add_int("seed", 0, "seed of the initial weights")
      .add_string("tokenizer", "byte", "byte, or the path of a SentencePiece tokenizer.model")
      .add_string("dtype", "float32", "dtype of the saved weights: float32, bfloat16, float16")
      .add_int("shard-bytes", 0, "split weights into shards of at most this size (0: one file)");
  declare_model_shape_options(options);
}

std::unique_ptr<Tokenizer> make_tokenizer(const OptionSet& options) {
  const std::string name = options.get_string("tokenizer");
  if (name == "byte") return std::make_unique<ByteTokenizer>();
  options.existing_file("tokenizer");
  return std::make_unique<SentencePieceTokenizer>(name);
}

void run(const OptionSet& options, Comm& comm) {
  std::unique_ptr<Tokenizer> tokenizer;
  ModelConfig config;
  torch::ScalarType dtype = torch::kFloat;
  agree_or_throw(comm, [&] {
    tokenizer = make_tokenizer(options);
    config = read_model_shape_options(options, *tokenizer);
    dtype = read_choice(options, "dtype", dtype_names());
    if (options.get_int("shard-bytes") < 0) options.reject("shard-bytes", "an integer >= 0");
    check_output_directory(options.get_string("out"));
  });
  if (comm.rank() != 0) return;
  Transformer model(config);
  model.init_weights(static_cast<uint64_t>(options.get_int("seed")));
  save_hf_model(options.get_string("out"), model, *tokenizer, dtype,
                options.get_int("shard-bytes"));
  std::cout << "wrote " << options.get_string("out") << " (" << config.parameter_count()
            << " parameters)\n";
}

}  // namespace

Command init_command() {
  return {"init", "write a randomly initialised model directory of a given size", declare, run};
}

}  // namespace scir::app
