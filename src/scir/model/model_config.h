// The shape of a Llama/Mistral decoder, as a Hugging Face config.json states it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace scir {

struct ModelConfig {
  std::string architecture = "LlamaForCausalLM";  // or MistralForCausalLM
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t head_dim = 0;
  double rms_norm_eps = 1e-5;
  double rope_theta = 10000.0;
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 2048;
  bool tie_word_embeddings = false;
  int64_t bos_token_id = 1;
  int64_t eos_token_id = 2;
  int64_t sliding_window = 0;  // 0: none
  std::string torch_dtype = "float32";

  int64_t kv_groups() const { return num_attention_heads / num_key_value_heads; }
  // Parameters of the model (embeddings counted once when tied).
  int64_t parameter_count() const;

  // Reads config.json; another architecture, a missing or inconsistent field is an InputError
  // naming the file and the field.
  static ModelConfig from_json(const nlohmann::json& json, const std::string& source);
  static ModelConfig from_file(const std::string& path);
  // What transformers' from_pretrained expects.
  nlohmann::json to_json() const;
  // Every rule from_json checks; throws InputError("<source>: field ...").
  void validate(const std::string& source) const;
};

}  // namespace scir
