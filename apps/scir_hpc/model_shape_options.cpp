#include "model_shape_options.h"

#include "scir/core/errors.h"

namespace scir::app {

void declare_model_shape_options(OptionSet& options) {
  options
      .add_string("model.architecture", "LlamaForCausalLM",
                  "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM or Qwen3ForCausalLM")
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

ModelConfig read_model_shape_options(const OptionSet& options, const Tokenizer& tokenizer) {
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
  config.rope.theta = options.get_double("model.rope_theta");
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

}  // namespace scir::app
