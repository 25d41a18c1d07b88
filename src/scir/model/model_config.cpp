#include "scir/model/model_config.h"

#include <cmath>
#include <fstream>

#include "scir/core/errors.h"
#include "scir/core/json_errors.h"

namespace scir {
namespace {

// No model's context comes near this many positions; a count beyond it is not a count.
constexpr double kMaxPositions = 0x1p40;

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

// A field whose value would change the computation unless it is the one the model implements.
void expect_field_value(const nlohmann::json& json, const std::string& source, const char* name,
                        const nlohmann::json& implemented, const char* what) {
  if (!json.contains(name) || json[name].is_null() || json[name] == implemented) return;
  throw InputError(cat(source, ": field '", name, "' is ", json[name].dump(), ": ", what,
                       " is not implemented (expected ", implemented.dump(), ")"));
}

// RoPE as transformers 5 writes it (rope_parameters: rope_theta, rope_type and the type's
// fields) or as 4.x did (rope_theta at the top, rope_scaling with "rope_type" or "type").
RopeSettings read_rope(const nlohmann::json& json, const std::string& source) {
  RopeSettings rope;
  const char* block_name = nullptr;
  for (const char* name : {"rope_parameters", "rope_scaling"}) {
    if (!json.contains(name) || json[name].is_null()) continue;
    if (!json[name].is_object()) {
      throw InputError(
          cat(source, ": field '", name, "' must be an object, got ", json[name].dump()));
    }
    if (block_name != nullptr) {
      throw InputError(cat(source, ": fields '", block_name, "' and '", name,
                           "' both given (expected one of them)"));
    }
    block_name = name;
  }
  const nlohmann::json block = block_name ? json[block_name] : nlohmann::json::object();
  const std::string prefix = block_name ? cat(block_name, ".") : std::string();
  const auto number = [&](const char* name, double fallback) {
    if (!block.contains(name) || block[name].is_null()) return fallback;
    if (!block[name].is_number()) {
      throw InputError(
          cat(source, ": field '", prefix, name, "' must be a number, got ", block[name].dump()));
    }
    return block[name].get<double>();
  };
  const double top_theta = number_field(json, source, "rope_theta", 10000.0);
  rope.theta = block.contains("rope_theta") ? number("rope_theta", 0) : top_theta;
  if (json.contains("rope_theta") && block.contains("rope_theta") && rope.theta != top_theta) {
    throw InputError(cat(source, ": fields 'rope_theta' (", top_theta, ") and '", prefix,
                         "rope_theta' (", rope.theta, ") differ"));
  }
  std::string type = "default";
  for (const char* name : {"rope_type", "type"}) {
    if (!block.contains(name)) continue;
    if (!block[name].is_string()) {
      throw InputError(
          cat(source, ": field '", prefix, name, "' must be a string, got ", block[name].dump()));
    }
    type = block[name].get<std::string>();
    break;
  }
  if (type == "llama3") {
    rope.kind = RopeSettings::Kind::kLlama3;
    for (const char* name :
         {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
      if (!block.contains(name) || !block[name].is_number()) {
        throw InputError(
            cat(source, ": field '", prefix, name, "' must be a number for rope_type llama3"));
      }
    }
    rope.factor = number("factor", 0);
    rope.low_freq_factor = number("low_freq_factor", 0);
    rope.high_freq_factor = number("high_freq_factor", 0);
    // A count of positions: a whole number of a size a context can have, checked before it
    // is converted (a double beyond int64_t's range is undefined behaviour to convert; found by
    // fuzzing, tests/fuzz/corpus/config_json/rope_original_positions_beyond_int64).
    const double original = number("original_max_position_embeddings", 0);
    if (!(original >= 1 && original <= kMaxPositions) || original != std::floor(original)) {
      throw InputError(cat(source, ": field '", prefix, "original_max_position_embeddings' is ",
                           block["original_max_position_embeddings"].dump(),
                           " (expected a whole number in [1, 2^40])"));
    }
    rope.original_max_position_embeddings = static_cast<int64_t>(original);
    if (!(rope.factor >= 1) || !(rope.low_freq_factor > 0) ||
        !(rope.high_freq_factor > rope.low_freq_factor)) {
      throw InputError(cat(source, ": field '", block_name,
                           "' expected factor >= 1 and 0 < low_freq_factor < high_freq_factor "
                           "for rope_type llama3"));
    }
  } else if (type != "default") {
    throw InputError(cat(source, ": field '", prefix, "rope_type' is '", type,
                         "': this RoPE scaling is not implemented (expected default or llama3)"));
  }
  return rope;
}

}  // namespace

namespace {

// The parameter count in any arithmetic: int64_t for the count, long double to see whether a
// shape's count fits int64_t at all.
template <typename Number>
Number count_parameters(const ModelConfig& c) {
  const auto n = [](int64_t value) { return static_cast<Number>(value); };
  const Number attention = n(c.hidden_size) * n(c.head_dim) * (n(c.num_attention_heads) * 2) +
                           n(c.hidden_size) * n(c.head_dim) * n(c.num_key_value_heads) * 2;
  const Number mlp = 3 * n(c.hidden_size) * n(c.intermediate_size);
  const Number biases =
      c.qkv_bias() ? n(c.head_dim) * (n(c.num_attention_heads) + 2 * n(c.num_key_value_heads)) : 0;
  const Number head_norms = c.qk_norm() ? 2 * n(c.head_dim) : 0;
  const Number layer = attention + mlp + 2 * n(c.hidden_size) + biases + head_norms;
  const Number embeddings = n(c.vocab_size) * n(c.hidden_size) * (c.tie_word_embeddings ? 1 : 2);
  return n(c.num_hidden_layers) * layer + embeddings + n(c.hidden_size);
}

}  // namespace

int64_t ModelConfig::parameter_count() const { return count_parameters<int64_t>(*this); }

ModelConfig ModelConfig::from_json(const nlohmann::json& json, const std::string& source) {
  if (!json.is_object()) throw InputError(cat(source, ": expected a JSON object"));
  ModelConfig config;
  if (!json.contains("architectures") || !json["architectures"].is_array() ||
      json["architectures"].empty() || !json["architectures"][0].is_string()) {
    throw InputError(cat(source, ": field 'architectures' must list LlamaForCausalLM, ",
                         "MistralForCausalLM, Qwen2ForCausalLM or Qwen3ForCausalLM"));
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
  // Qwen's files name a window even where it is off (use_sliding_window false).
  const bool qwen =
      config.architecture == "Qwen2ForCausalLM" || config.architecture == "Qwen3ForCausalLM";
  if (qwen) {
    expect_field_value(json, source, "use_sliding_window", false, "Qwen's sliding window");
    config.sliding_window = 0;
  }
  if (json.contains("layer_types") && json["layer_types"].is_array()) {
    for (const nlohmann::json& type : json["layer_types"]) {
      if (type != "full_attention")
        throw InputError(cat(source, ": field 'layer_types' holds ", type.dump(),
                             ": only full_attention layers are implemented"));
    }
  }
  config.rms_norm_eps = number_field(json, source, "rms_norm_eps", 1e-5);
  config.rope = read_rope(json, source);
  expect_field_value(json, source, "hidden_act", "silu", "another activation than SiLU");
  // Qwen2 always has q/k/v biases, whatever the field says; the others have none.
  if (config.architecture != "Qwen2ForCausalLM")
    expect_field_value(json, source, "attention_bias", false,
                       "a bias in the attention projections");
  expect_field_value(json, source, "mlp_bias", false, "a bias in the MLP");
  expect_field_value(json, source, "attention_dropout", 0.0, "attention dropout");
  expect_field_value(json, source, "partial_rotary_factor", 1.0,
                     "rotary embeddings over part of a head");
  if (json.contains("quantization_config") && !json["quantization_config"].is_null()) {
    throw InputError(cat(source, ": field 'quantization_config' is given: quantised weights are ",
                         "not implemented (expected float32, float16 or bfloat16 weights)"));
  }
  if (json.contains("tie_word_embeddings")) {
    if (!json["tie_word_embeddings"].is_boolean()) {
      throw InputError(cat(source, ": field 'tie_word_embeddings' must be true or false"));
    }
    config.tie_word_embeddings = json["tie_word_embeddings"].get<bool>();
  }
  // transformers 5 writes "dtype" where 4.x wrote "torch_dtype".
  for (const char* name : {"dtype", "torch_dtype"}) {
    if (json.contains(name) && json[name].is_string()) {
      config.torch_dtype = json[name].get<std::string>();
      break;
    }
  }
  config.validate(source);
  return config;
}

void ModelConfig::validate(const std::string& source) const {
  if (architecture != "LlamaForCausalLM" && architecture != "MistralForCausalLM" &&
      architecture != "Qwen2ForCausalLM" && architecture != "Qwen3ForCausalLM") {
    throw InputError(cat(source, ": architecture '", architecture,
                         "' is not supported (expected LlamaForCausalLM, MistralForCausalLM, "
                         "Qwen2ForCausalLM or Qwen3ForCausalLM)"));
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
  // Every size product below (weights, gradients, optimiser state, the memory plan) is
  // int64_t: a shape whose parameter count does not fit it by far is refused.
  if (count_parameters<long double>(*this) > 0x1p60L) {
    throw InputError(cat(source, ": a shape of about ",
                         static_cast<double>(count_parameters<long double>(*this)),
                         " parameters (expected fewer than 2^60)"));
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
  if (!(rope.theta > 0)) throw InputError(cat(source, ": field 'rope_theta' must be > 0"));
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
  return reading_json(path, [&] { return from_json(json, path); });
}

nlohmann::json ModelConfig::to_json() const {
  const bool mistral = architecture == "MistralForCausalLM";
  const std::string model_type = mistral                              ? "mistral"
                                 : architecture == "Qwen2ForCausalLM" ? "qwen2"
                                 : architecture == "Qwen3ForCausalLM" ? "qwen3"
                                                                      : "llama";
  nlohmann::json json = {{"architectures", {architecture}},
                         {"model_type", model_type},
                         {"hidden_size", hidden_size},
                         {"intermediate_size", intermediate_size},
                         {"num_hidden_layers", num_hidden_layers},
                         {"num_attention_heads", num_attention_heads},
                         {"num_key_value_heads", num_key_value_heads},
                         {"head_dim", head_dim},
                         {"hidden_act", "silu"},
                         {"rms_norm_eps", rms_norm_eps},
                         {"rope_theta", rope.theta},
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
  if (model_type == "qwen2" || model_type == "qwen3") {
    json["use_sliding_window"] = false;
    json.erase("mlp_bias");
    if (model_type == "qwen2") json.erase("attention_bias");
  }
  // The 4.x form, which transformers 5 also reads.
  if (rope.kind == RopeSettings::Kind::kLlama3) {
    json["rope_scaling"] = {
        {"rope_type", "llama3"},
        {"factor", rope.factor},
        {"low_freq_factor", rope.low_freq_factor},
        {"high_freq_factor", rope.high_freq_factor},
        {"original_max_position_embeddings", rope.original_max_position_embeddings}};
  }
  return json;
}

}  // namespace scir
