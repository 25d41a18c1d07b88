// The shape of a Llama, Mistral, Qwen2 or Qwen3 decoder, as a Hugging Face config.json states it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace scir {

// Rotary embeddings' frequencies: theta^(-2i/d), and for Llama 3.1+ (rope_type llama3) the
// long-wavelength ones divided by `factor`, blended between two wavelengths set by
// original_max_position_embeddings / low_freq_factor and / high_freq_factor.
struct RopeSettings {
  enum class Kind { kDefault, kLlama3 };
  double theta = 10000.0;
  Kind kind = Kind::kDefault;
  double factor = 8.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  int64_t original_max_position_embeddings = 8192;
};

struct ModelConfig {
  // LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM (biases on q/k/v) or
  // Qwen3ForCausalLM (RMSNorm of each query and key head before RoPE).
  std::string architecture = "LlamaForCausalLM";
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;
  double rms_norm_eps = 1e-5;
  RopeSettings rope;
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 2048;
  bool tie_word_embeddings = false;
  int64_t bos_token_id = 1;
  int64_t eos_token_id = 2;
  int64_t sliding_window = 0;  // 0: none
  std::string torch_dtype = "float32";

  int64_t kv_groups() const { return num_attention_heads / num_key_value_heads; }
  bool qkv_bias() const { return architecture == "Qwen2ForCausalLM"; }
  bool qk_norm() const { return architecture == "Qwen3ForCausalLM"; }
  // Parameters of the model (embeddings counted once when tied).
  int64_t parameter_count() const;

  // Reads config.json as transformers 4 and 5 write it (rope_theta and rope_scaling, or
  // rope_parameters); another architecture, a missing or inconsistent field, or a field that
  // would change the computation in a way this model does not implement (hidden_act other than
  // silu, biases, dropout, other RoPE types, quantisation) is an InputError naming the file and
  // the field.
  static ModelConfig from_json(const nlohmann::json& json, const std::string& source);
  static ModelConfig from_file(const std::string& path);
  // What transformers' from_pretrained expects.
  nlohmann::json to_json() const;
  // Every rule from_json checks; throws InputError("<source>: field ...").
  void validate(const std::string& source) const;
};

}  // namespace scir
