#include "scir/io/peft_adapter.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "scir/core/errors.h"
#include "scir/core/json_errors.h"
#include "scir/io/safetensors.h"

namespace scir {
namespace fs = std::filesystem;
namespace {

constexpr const char* kConfigFile = "adapter_config.json";
constexpr const char* kWeightsFile = "adapter_model.safetensors";

// PEFT's LoRA options whose other values change what the adapter computes, each with the value
// that leaves it as plain LoRA: a config that sets one otherwise is refused by name.
bool plain(const nlohmann::json& value) {
  return value.is_null() || value == false || (value.is_array() && value.empty()) ||
         (value.is_object() && value.empty());
}

struct Unsupported {
  const char* field;
  const char* feature;
};
constexpr Unsupported kUnsupported[] = {
    {"use_dora", "DoRA"},
    {"modules_to_save", "modules_to_save (fully trained modules beside the adapter)"},
    {"rank_pattern", "rank_pattern (ranks that differ by module)"},
    {"alpha_pattern", "alpha_pattern (alphas that differ by module)"},
    {"layers_to_transform", "layers_to_transform (adapters on some layers only)"},
    {"exclude_modules", "exclude_modules"},
    {"fan_in_fan_out", "fan_in_fan_out (transposed weights)"},
    {"lora_bias", "lora_bias (a trained bias of B)"},
    {"layer_replication", "layer_replication"},
    {"target_parameters", "target_parameters"},
    {"use_qalora", "QA-LoRA"},
    {"alora_invocation_tokens", "activated LoRA (alora_invocation_tokens)"},
    {"arrow_config", "Arrow routing (arrow_config)"},
    {"use_bdlora", "BD-LoRA (use_bdlora)"},
    {"kasa_config", "KaSA (kasa_config)"},
    {"trainable_token_indices", "trainable_token_indices (trained embedding rows)"},
};

LoraSettings settings_from(const nlohmann::json& config, const std::string& file) {
  if (!config.is_object()) throw InputError(cat(file, ": expected a JSON object"));
  const auto field = [&](const char* name) -> const nlohmann::json& {
    if (!config.contains(name)) throw InputError(cat(file, ": field '", name, "' missing"));
    return config.at(name);
  };
  const nlohmann::json& type = field("peft_type");
  if (type != "LORA") {
    throw InputError(cat(file, ": field 'peft_type' is ", type.dump(),
                         ", expected \"LORA\" (other PEFT methods are not implemented)"));
  }
  for (const Unsupported& item : kUnsupported) {
    if (config.contains(item.field) && !plain(config.at(item.field)))
      throw InputError(
          cat(file, ": field '", item.field, "': ", item.feature, " is not implemented"));
  }
  if (config.contains("bias") && config.at("bias") != "none") {
    throw InputError(cat(file, ": field 'bias' is ", config.at("bias").dump(),
                         ": trained biases are not implemented (expected \"none\")"));
  }
  LoraSettings settings;
  const nlohmann::json& rank = field("r");
  if (!rank.is_number_integer() || rank.get<int64_t>() < 1)
    throw InputError(cat(file, ": field 'r' is ", rank.dump(), ", expected an integer >= 1"));
  settings.rank = rank.get<int64_t>();
  const nlohmann::json& alpha = field("lora_alpha");
  if (!alpha.is_number() || !(alpha.get<double>() > 0))
    throw InputError(
        cat(file, ": field 'lora_alpha' is ", alpha.dump(), ", expected a number > 0"));
  settings.alpha = alpha.get<double>();
  if (config.contains("use_rslora")) {
    if (!config.at("use_rslora").is_boolean())
      throw InputError(cat(file, ": field 'use_rslora' is ", config.at("use_rslora").dump(),
                           ", expected true or false"));
    settings.rslora = config.at("use_rslora").get<bool>();
  }
  const nlohmann::json& modules = field("target_modules");
  if (!modules.is_array() || modules.empty()) {
    throw InputError(cat(file, ": field 'target_modules' is ", modules.dump(),
                         ", expected a list of module names such as [\"q_proj\", \"v_proj\"] "
                         "(a regular expression is not implemented)"));
  }
  settings.targets.clear();
  for (const nlohmann::json& module : modules) {
    const std::string target = module.is_string() ? lora_target_of_module(module) : "";
    if (target.empty()) {
      throw InputError(cat(file, ": field 'target_modules': ", module.dump(),
                           " is not one of q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, "
                           "down_proj"));
    }
    settings.targets.push_back(target);
  }
  return settings;
}

}  // namespace

void save_peft_adapter(const std::string& directory, const LoraAdapter& adapter,
                       const std::string& base_model) {
  save_peft_adapter(directory, adapter.settings(), adapter.whole_weights(), base_model);
}

void save_peft_adapter(const std::string& directory, const LoraSettings& settings,
                       const std::map<std::string, torch::Tensor>& weights,
                       const std::string& base_model) {
  const fs::path target = fs::absolute(directory);
  const fs::path staging =
      target.parent_path() / cat(".", target.filename().string(), ".tmp-", getpid());
  fs::remove_all(staging);
  fs::create_directories(staging);
  nlohmann::json modules = nlohmann::json::array();
  for (const std::string& t : settings.targets) modules.push_back(t + "_proj");
  const nlohmann::json config = {{"peft_type", "LORA"},
                                 {"task_type", "CAUSAL_LM"},
                                 {"r", settings.rank},
                                 {"lora_alpha", settings.alpha},
                                 {"lora_dropout", 0.0},
                                 {"target_modules", modules},
                                 {"bias", "none"},
                                 {"use_rslora", settings.rslora},
                                 {"use_dora", false},
                                 {"fan_in_fan_out", false},
                                 {"modules_to_save", nullptr},
                                 {"init_lora_weights", true},
                                 {"inference_mode", true},
                                 {"base_model_name_or_path", base_model}};
  {
    std::ofstream file(staging / kConfigFile);
    file << config.dump(2) << "\n";
    if (!file) throw InputError(cat((staging / kConfigFile).string(), ": cannot write"));
  }
  NamedTensors tensors;
  for (const auto& [name, weight] : weights)
    tensors.emplace_back(name, weight.detach().to(torch::kCPU, torch::kFloat));
  write_safetensors((staging / kWeightsFile).string(), tensors, {{"format", "pt"}});
  fs::remove_all(target);
  fs::rename(staging, target);
}

PeftLoraAdapter load_peft_adapter(const std::string& directory) {
  const fs::path root(directory);
  if (!fs::is_directory(root)) throw InputError(cat(directory, ": not an adapter directory"));
  const std::string config_file = (root / kConfigFile).string();
  std::ifstream in(config_file);
  if (!in) throw InputError(cat(config_file, ": cannot be read (a PEFT adapter has one)"));
  const nlohmann::json config = nlohmann::json::parse(in, nullptr, false);
  if (config.is_discarded()) throw InputError(cat(config_file, ": not valid JSON"));
  PeftLoraAdapter adapter;
  adapter.settings = reading_json(config_file, [&] { return settings_from(config, config_file); });
  const std::string weights_file = (root / kWeightsFile).string();
  if (!fs::exists(weights_file))
    throw InputError(
        cat(weights_file, ": missing (adapter_model.bin is not read: safetensors only)"));
  adapter.weights = read_safetensors(weights_file).tensors;
  for (const auto& [name, tensor] : adapter.weights) {
    if (!tensor.is_floating_point())
      throw InputError(cat(weights_file, ": tensor ", name, " is not floating-point"));
  }
  return adapter;
}

void check_peft_adapter_fits(const std::string& directory, const ModelConfig& config) {
  const PeftLoraAdapter loaded = load_peft_adapter(directory);
  const LoraRankLimit limit = lora_rank_limit(config, loaded.settings.targets);
  if (loaded.settings.rank > limit.rank) {
    throw InputError(cat((fs::path(directory) / kConfigFile).string(), ": LoRA rank ",
                         loaded.settings.rank, ": above the smaller dimension of ", limit.module,
                         " (", limit.out, " x ", limit.in, ")"));
  }
  check_lora_weights(lora_weight_shapes(config, loaded.settings), loaded.weights,
                     (fs::path(directory) / kWeightsFile).string());
}

std::unique_ptr<LoraAdapter> attach_peft_adapter(Transformer& model, const std::string& directory) {
  const PeftLoraAdapter loaded = load_peft_adapter(directory);
  std::unique_ptr<LoraAdapter> adapter;
  try {
    adapter = std::make_unique<LoraAdapter>(model, loaded.settings, /*seed=*/0);
  } catch (const InputError& error) {  // the rank or targets do not fit this model
    throw InputError(cat((fs::path(directory) / kConfigFile).string(), ": ", error.what()));
  }
  adapter->assign(loaded.weights, (fs::path(directory) / kWeightsFile).string());
  return adapter;
}

void merge_peft_adapter(Transformer& model, const std::string& directory) {
  attach_peft_adapter(model, directory)->merge();
}

}  // namespace scir
