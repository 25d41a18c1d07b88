// scir_hpc init: a randomly initialised Llama/Mistral model of a given size, written as a
// Hugging Face model directory.
#include <iostream>

#include "command.h"
#include "scir/dist/agreement.h"
#include "scir/io/hf_checkpoint.h"
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
      .add_int("shard-bytes", 0, "split weights into shards of at most this size (0: one file)")
      .add_string("model.architecture", "LlamaForCausalLM",
                  "LlamaForCausalLM or MistralForCausalLM")
      .add_int("model.hidden_size", 64, "width of the residual stream")
      .add_int("model.intermediate_size", 176, "width of the SwiGLU MLP")
      .add_int("model.num_hidden_layers", 2, "decoder layers")
      .add_int("model.num_attention_heads", 4, "query heads")
      .add_int("model.num_key_value_heads", 2, "key/value heads (grouped-query attention)")
      .add_int("model.head_dim", 0, "width of a head (0: hidden_size / heads)")
      .add_int("model.vocab_size", 0, "vocabulary (0: the tokenizer's)")
      .add_int("model.max_position_embeddings", 512, "longest sequence")
      .add_double("model.rope_theta", 10000.0, "rotary base")
      .add_double("model.rms_norm_eps", 1e-5, "RMSNorm epsilon")
      .add_bool("model.tie_word_embeddings", false, "LM head shares the embedding")
      .add_int("model.sliding_window", 0, "Mistral attention window (0: none)");
}

std::unique_ptr<Tokenizer> make_tokenizer(const OptionSet& options) {
  const std::string name = options.get_string("tokenizer");
  if (name == "byte") return std::make_unique<ByteTokenizer>();
  options.existing_file("tokenizer");
  return std::make_unique<SentencePieceTokenizer>(name);
}

ModelConfig model_config(const OptionSet& options, const Tokenizer& tokenizer) {
  ModelConfig config;
  config.architecture = options.get_string("model.architecture");
  config.hidden_size = options.get_int("model.hidden_size");
  config.intermediate_size = options.get_int("model.intermediate_size");
  config.num_hidden_layers = options.get_int("model.num_hidden_layers");
  config.num_attention_heads = options.get_int("model.num_attention_heads");
  config.num_key_value_heads = options.get_int("model.num_key_value_heads");
  config.head_dim = options.get_int("model.head_dim");
  if (config.head_dim == 0 && config.num_attention_heads > 0) {
    config.head_dim = config.hidden_size / config.num_attention_heads;
  }
  config.vocab_size = options.get_int("model.vocab_size");
  if (config.vocab_size == 0) config.vocab_size = tokenizer.vocab_size();
  config.max_position_embeddings = options.get_int("model.max_position_embeddings");
  config.rope_theta = options.get_double("model.rope_theta");
  config.rms_norm_eps = options.get_double("model.rms_norm_eps");
  config.tie_word_embeddings = options.get_bool("model.tie_word_embeddings");
  config.sliding_window = options.get_int("model.sliding_window");
  config.bos_token_id = tokenizer.bos_id();
  config.eos_token_id = tokenizer.eos_id();
  config.validate("[model] options");
  if (config.vocab_size < tokenizer.vocab_size()) {
    throw InputError(cat("option '--model.vocab_size': expected at least the tokenizer's ",
                         tokenizer.vocab_size(), ", got ", config.vocab_size));
  }
  return config;
}

void run(const OptionSet& options, Comm& comm) {
  std::unique_ptr<Tokenizer> tokenizer;
  ModelConfig config;
  torch::ScalarType dtype = torch::kFloat;
  agree_or_throw(comm, [&] {
    tokenizer = make_tokenizer(options);
    config = model_config(options, *tokenizer);
    dtype = dtype_from_name(options.get_string("dtype"), "dtype");
    if (options.get_int("shard-bytes") < 0) options.reject("shard-bytes", "an integer >= 0");
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
