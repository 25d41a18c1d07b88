#include "scir/model/model_config.h"

#include <fstream>

#include "scir/core/errors.h"

namespace scir {
namespace {

int64_t integer_field(const nlohmann::json& json, const std::string& source, const char* name,
                      bool required, int64_t fallback) {
  if (!json.contains(name) || json[name].is_null()) {
    if (required) throw InputError(cat(source, ": missing field '", name, "'"));
    return fallback;
  }
  const nlohmann::json& value = json[name];
  // eos_token_id may be a list in newer configs; the first id is the one that ends a response.
  if (value.is_array() && !value.empty() && value[0].is_number_integer()) return value[0];
  if (!value.is_number_integer()) {
    throw InputError(cat(source, ": field '", name, "' must be an integer, got ", value.dump()));
  }
  return value.get<int64_t>();
}

double number_field(const nlohmann::json& json, const std::string& source, const char* name,
                    double fallback) {
  if (!json.contains(name) || json[name].is_null()) return fallback;
  if (!json[name].is_number()) {
    throw InputError(cat(source, ": field '", name, "' must be a number, got ", json[name].dump()));
  }
  return json[name].get<double>();
}

}  // namespace

int64_t ModelConfig::parameter_count() const {
  const int64_t attention = hidden_size * head_dim * (num_attention_heads * 2) +
                            hidden_size * head_dim * num_key_value_heads * 2;
  const int64_t mlp = 3 * hidden_size * intermediate_size;
  const int64_t layer = attention + mlp + 2 * hidden_size;
  const int64_t embeddings = vocab_size * hidden_size * (tie_word_embeddings ? 1 : 2);
  return num_hidden_layers * layer + embeddings + hidden_size;
}

ModelConfig ModelConfig::from_json(const nlohmann::json& json, const std::string& source) {
  if (!json.is_object()) throw InputError(cat(source, ": expected a JSON object"));
  ModelConfig config;
  if (!json.contains("architectures") || !json["architectures"].is_array() ||
      json["architectures"].empty() || !json["architectures"][0].is_string()) {
    throw InputError(cat(source, ": field 'architectures' must list LlamaForCausalLM or ",
                         "MistralForCausalLM"));
  }
  config.architecture = json["architectures"][0].get<std::string>();
  config.hidden_size = integer_field(json, source, "hidden_size", true, 0);
  config.intermediate_size = integer_field(json, source, "intermediate_size", true, 0);
  config.num_hidden_layers = integer_field(json, source, "num_hidden_layers", true, 0);
  config.num_attention_heads = integer_field(json, source, "num_attention_heads", true, 0);
  config.num_key_value_heads =
      integer_field(json, source, "num_key_value_heads", false, config.num_attention_heads);
  config.head_dim = integer_field(
      json, source, "head_dim", false,
      config.num_attention_heads > 0 ? config.hidden_size / config.num_attention_heads : 0);
  config.vocab_size = integer_field(json, source, "vocab_size", true, 0);
  config.max_position_embeddings =
      integer_field(json, source, "max_position_embeddings", false, 2048);
  config.bos_token_id = integer_field(json, source, "bos_token_id", false, 1);
  config.eos_token_id = integer_field(json, source, "eos_token_id", false, 2);
  config.sliding_window = integer_field(json, source, "sliding_window", false, 0);
  config.rms_norm_eps = number_field(json, source, "rms_norm_eps", 1e-5);
  config.rope_theta = number_field(json, source, "rope_theta", 10000.0);
  if (json.contains("tie_word_embeddings")) {
    if (!json["tie_word_embeddings"].is_boolean()) {
      throw InputError(cat(source, ": field 'tie_word_embeddings' must be true or false"));
    }
    config.tie_word_embeddings = json["tie_word_embeddings"].get<bool>();
  }
  if (json.contains("torch_dtype") && json["torch_dtype"].is_string()) {
    config.torch_dtype = json["torch_dtype"].get<std::string>();
  }
  if (json.contains("rope_scaling") && !json["rope_scaling"].is_null()) {
    throw InputError(cat(source, ": field 'rope_scaling' is not supported (expected null)"));
  }
  config.validate(source);
  return config;
}

void ModelConfig::validate(const std::string& source) const {
  if (architecture != "LlamaForCausalLM" && architecture != "MistralForCausalLM") {
    throw InputError(cat(source, ": architecture '", architecture,
                         "' is not supported (expected LlamaForCausalLM or MistralForCausalLM)"));
  }
  const std::pair<const char*, int64_t> positive[] = {
      {"hidden_size", hidden_size},
      {"intermediate_size", intermediate_size},
      {"num_hidden_layers", num_hidden_layers},
      {"num_attention_heads", num_attention_heads},
      {"num_key_value_heads", num_key_value_heads},
      {"head_dim", head_dim},
      {"vocab_size", vocab_size},
      {"max_position_embeddings", max_position_embeddings}};
  for (const auto& [name, value] : positive) {
    if (value <= 0) throw InputError(cat(source, ": field '", name, "' must be > 0, got ", value));
  }
  if (num_attention_heads % num_key_value_heads != 0) {
    throw InputError(cat(source, ": num_attention_heads (", num_attention_heads,
                         ") must be a multiple of num_key_value_heads (", num_key_value_heads,
                         ")"));
  }
  if (head_dim % 2 != 0) {
    throw InputError(cat(source, ": head_dim must be even for rotary embeddings, got ", head_dim));
  }
  if (rms_norm_eps <= 0) throw InputError(cat(source, ": field 'rms_norm_eps' must be > 0"));
  if (rope_theta <= 0) throw InputError(cat(source, ": field 'rope_theta' must be > 0"));
  if (sliding_window < 0) throw InputError(cat(source, ": field 'sliding_window' must be >= 0"));
  for (const auto& [name, id] : {std::pair<const char*, int64_t>{"bos_token_id", bos_token_id},
                                 {"eos_token_id", eos_token_id}}) {
    if (id < 0 || id >= vocab_size) {
      throw InputError(
          cat(source, ": field '", name, "' (", id, ") outside the vocabulary of ", vocab_size));
    }
  }
}

ModelConfig ModelConfig::from_file(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw InputError(cat(path, ": cannot open (expected a Hugging Face config.json)"));
  const nlohmann::json json = nlohmann::json::parse(file, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) throw InputError(cat(path, ": invalid JSON"));
  return from_json(json, path);
}

nlohmann::json ModelConfig::to_json() const {
  const bool mistral = architecture == "MistralForCausalLM";
  nlohmann::json json = {{"architectures", {architecture}},
                         {"model_type", mistral ? "mistral" : "llama"},
                         {"hidden_size", hidden_size},
                         {"intermediate_size", intermediate_size},
                         {"num_hidden_layers", num_hidden_layers},
                         {"num_attention_heads", num_attention_heads},
                         {"num_key_value_heads", num_key_value_heads},
                         {"head_dim", head_dim},
                         {"hidden_act", "silu"},
                         {"rms_norm_eps", rms_norm_eps},
                         {"rope_theta", rope_theta},
                         {"vocab_size", vocab_size},
                         {"max_position_embeddings", max_position_embeddings},
                         {"tie_word_embeddings", tie_word_embeddings},
                         {"bos_token_id", bos_token_id},
                         {"eos_token_id", eos_token_id},
                         {"attention_bias", false},
                         {"mlp_bias", false},
                         {"torch_dtype", torch_dtype}};
  if (mistral)
    json["sliding_window"] = sliding_window > 0 ? nlohmann::json(sliding_window) : nullptr;
  return json;
}

}  // namespace scir
