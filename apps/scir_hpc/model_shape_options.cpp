#include "model_shape_options.h"

#include "scir/core/errors.h"
#include "scir/core/option_binding.h"

namespace scir::app {
namespace {

// The embedded model's shape before any option is read.
ModelConfig default_shape() {
  ModelConfig config;
  config.hidden_size = 64;
  config.intermediate_size = 176;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.num_key_value_heads = 2;
  config.max_position_embeddings = 512;
  return config;
}

// The shape's options, once (ModelConfig::validate checks them together).
void bind_model_shape_options(OptionBinder& bind, ModelConfig& config) {
  bind.text("model.architecture", config.architecture,
            "LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM or Qwen3ForCausalLM")
      .integer("model.hidden_size", config.hidden_size, "width of the residual stream")
      .integer("model.intermediate_size", config.intermediate_size, "width of the SwiGLU MLP")
      .integer("model.num_hidden_layers", config.num_hidden_layers, "decoder layers")
      .integer("model.num_attention_heads", config.num_attention_heads, "query heads")
      .integer("model.num_key_value_heads", config.num_key_value_heads,
               "key/value heads (grouped-query attention)")
      .integer("model.head_dim", config.head_dim, "width of a head (0: hidden_size / heads)")
      .integer("model.vocab_size", config.vocab_size, "vocabulary (0: the tokenizer's)")
      .integer("model.max_position_embeddings", config.max_position_embeddings, "longest sequence")
      .number("model.rope_theta", config.rope.theta, "rotary base")
      .number("model.rms_norm_eps", config.rms_norm_eps, "RMSNorm epsilon")
      .flag("model.tie_word_embeddings", config.tie_word_embeddings, "LM head shares the embedding")
      .integer("model.sliding_window", config.sliding_window, "Mistral attention window (0: none)");
}

}  // namespace

void declare_model_shape_options(OptionSet& options) {
  ModelConfig defaults = default_shape();
  OptionBinder declaring = OptionBinder::declaring(options);
  bind_model_shape_options(declaring, defaults);
}

ModelConfig read_model_shape_options(const OptionSet& options, const Tokenizer& tokenizer) {
  ModelConfig config = default_shape();
  OptionBinder reading = OptionBinder::reading(options);
  bind_model_shape_options(reading, config);
  if (config.head_dim == 0 && config.num_attention_heads > 0) {
    config.head_dim = config.hidden_size / config.num_attention_heads;
  }
  if (config.vocab_size == 0) config.vocab_size = tokenizer.vocab_size();
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
