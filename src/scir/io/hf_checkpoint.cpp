#include "scir/io/hf_checkpoint.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "scir/core/errors.h"
#include "scir/io/safetensors.h"
#include "scir/model/tensor_parallel.h"

namespace scir {

namespace fs = std::filesystem;

namespace {

// Weight files of a directory: the index's shards, or the single model.safetensors; with an
// index, the shard it names for each tensor.
struct WeightFiles {
  std::vector<std::string> paths;
  std::map<std::string, std::string> shard_of;  // tensor -> path; empty without an index
  std::string index_path;
};

WeightFiles weight_files(const fs::path& directory) {
  const fs::path index_path = directory / "model.safetensors.index.json";
  WeightFiles files;
  if (fs::exists(index_path)) {
    files.index_path = index_path.string();
    std::ifstream file(index_path);
    const nlohmann::json index = nlohmann::json::parse(file, nullptr, false);
    if (index.is_discarded() || !index.is_object() || !index.contains("weight_map") ||
        !index["weight_map"].is_object()) {
      throw InputError(cat(index_path.string(), ": expected an object with 'weight_map'"));
    }
    std::set<std::string> shards;
    for (const auto& [name, shard] : index["weight_map"].items()) {
      // A shard is a file beside the index, never a path elsewhere.
      if (!shard.is_string() || shard.get<std::string>().empty() ||
          fs::path(shard.get<std::string>()).has_parent_path())
        throw InputError(cat(index_path.string(), ": field 'weight_map.", name,
                             "' must be a file name in the model directory, got ", shard.dump()));
      const std::string path = (directory / shard.get<std::string>()).string();
      shards.insert(path);
      files.shard_of[name] = path;
    }
    files.paths.assign(shards.begin(), shards.end());
    return files;
  }
  const fs::path single = directory / "model.safetensors";
  if (!fs::exists(single)) {
    throw InputError(
        cat(directory.string(), ": no model.safetensors or model.safetensors.index.json"));
  }
  files.paths = {single.string()};
  return files;
}

// Every tensor in the shard the index names for it, and only there: a tensor in two shards, or
// in a shard the index does not name for it, is refused rather than taken from either.
void check_index_matches_shards(const WeightFiles& files,
                                const std::map<std::string, std::string>& found_in) {
  if (files.shard_of.empty()) return;
  for (const auto& [name, shard] : files.shard_of) {
    if (!found_in.count(name))
      throw InputError(cat(files.index_path, ": field 'weight_map.", name, "' names ", shard,
                           ", which holds no tensor '", name, "'"));
  }
}

// config.json's dimensions against the shapes in the files' headers, before a model of
// config.json's size is allocated (a vocab_size of 10^9 would ask for gigabytes first): the
// embedding (vocabulary, width), the first layer's query and key projections (heads), the last
// layer's down projection (MLP width, and that the layers are all there).
void check_dimensions_against_tensors(const std::string& directory, const ModelConfig& c,
                                      const std::map<std::string, std::vector<int64_t>>& shapes) {
  const std::string last_layer = cat("model.layers.", c.num_hidden_layers - 1, ".");
  const std::pair<std::string, std::vector<int64_t>> markers[] = {
      {"model.embed_tokens.weight", {c.vocab_size, c.hidden_size}},
      {"model.layers.0.self_attn.q_proj.weight",
       {c.num_attention_heads * c.head_dim, c.hidden_size}},
      {"model.layers.0.self_attn.k_proj.weight",
       {c.num_key_value_heads * c.head_dim, c.hidden_size}},
      {last_layer + "mlp.down_proj.weight", {c.hidden_size, c.intermediate_size}}};
  for (const auto& [name, implied] : markers) {
    const auto found = shapes.find(name);
    if (found == shapes.end()) {
      // A missing tensor is named when the weights load; a missing last layer means
      // num_hidden_layers is larger than the files, and is refused before.
      if (name.rfind(last_layer, 0) == 0 && shapes.count("model.layers.0.mlp.down_proj.weight")) {
        throw InputError(cat(directory, ": config.json num_hidden_layers is ", c.num_hidden_layers,
                             ", but the weight files have no tensor '", name, "'"));
      }
      continue;
    }
    if (found->second != implied) {
      throw InputError(cat(directory, ": tensor '", name, "' has shape ",
                           c10::IntArrayRef(found->second), ", config.json implies ",
                           c10::IntArrayRef(implied),
                           " (vocab_size, hidden_size, heads, head_dim or intermediate_size "
                           "does not match the weights)"));
    }
  }
}

void write_json(const fs::path& path, const nlohmann::json& json) {
  std::ofstream file(path);
  file << json.dump(2) << "\n";
  if (!file) throw InputError(cat(path.string(), ": cannot write"));
}

}  // namespace

ModelConfig check_hf_model(const std::string& directory) {
  const fs::path root(directory);
  if (!fs::is_directory(root)) throw InputError(cat(directory, ": not a model directory"));
  const ModelConfig config = ModelConfig::from_file((root / "config.json").string());
  const int64_t tokens = load_tokenizer(directory)->vocab_size();
  if (tokens > config.vocab_size) {
    throw InputError(cat(directory, ": tokenizer has ", tokens,
                         " tokens but config.json vocab_size is ", config.vocab_size));
  }
  // Present, indexed when sharded, and whole: each header read and checked against its file.
  const WeightFiles files = weight_files(root);
  std::map<std::string, std::string> found_in;  // tensor -> the shard that holds it
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const std::string& path : files.paths) {
    for (const auto& [name, shape] : check_safetensors(path)) {
      if (found_in.count(name)) {
        throw InputError(cat(path, ": tensor '", name, "' is also in ", found_in[name],
                             " (expected it in one shard)"));
      }
      if (!files.shard_of.empty()) {
        const auto named = files.shard_of.find(name);
        if (named == files.shard_of.end() || named->second != path) {
          throw InputError(cat(path, ": tensor '", name, "' is here, but ", files.index_path,
                               named == files.shard_of.end()
                                   ? std::string(" does not list it")
                                   : cat(" names ", named->second, " for it")));
        }
      }
      found_in[name] = path;
      shapes[name] = shape;
    }
  }
  check_index_matches_shards(files, found_in);
  check_dimensions_against_tensors(directory, config, shapes);
  return config;
}

LoadedModel load_hf_model(const std::string& directory, torch::ScalarType dtype) {
  const fs::path root(directory);
  const ModelConfig config = check_hf_model(directory);
  LoadedModel loaded;
  loaded.tokenizer = load_tokenizer(directory);
  loaded.model = std::make_shared<Transformer>(config, dtype);
  std::map<std::string, torch::Tensor> expected = loaded.model->named_weights();
  std::set<std::string> seen;
  torch::NoGradGuard no_grad;
  for (const std::string& path : weight_files(root).paths) {
    for (auto& [name, tensor] : read_safetensors(path).tensors) {
      // Buffers some exporters save, and a tied head, are not parameters to load.
      if (name.size() > 19 && name.compare(name.size() - 19, 19, "rotary_emb.inv_freq") == 0)
        continue;
      if (name == "lm_head.weight" && config.tie_word_embeddings) continue;
      auto target = expected.find(name);
      if (target == expected.end()) {
        throw InputError(cat(path, ": unexpected tensor '", name, "' for ", config.architecture));
      }
      if (target->second.sizes() != tensor.sizes()) {
        throw InputError(cat(path, ": tensor '", name, "' has shape ", tensor.sizes(),
                             ", config.json implies ", target->second.sizes()));
      }
      if (!tensor.is_floating_point()) {
        throw InputError(cat(path, ": tensor '", name, "' must be F32, F16 or BF16"));
      }
      target->second.copy_(tensor.to(dtype));
      seen.insert(name);
    }
  }
  for (const auto& [name, tensor] : expected) {
    if (!seen.count(name)) throw InputError(cat(directory, ": missing tensor '", name, "'"));
  }
  return loaded;
}

void save_hf_model(const std::string& directory, const Transformer& model,
                   const Tokenizer& tokenizer, torch::ScalarType save_dtype,
                   int64_t max_shard_bytes, const LoraAdapter* merged) {
  const fs::path target = fs::absolute(directory);
  const fs::path staging =
      target.parent_path() / cat(".", target.filename().string(), ".tmp-", getpid());
  fs::remove_all(staging);
  fs::create_directories(staging);

  ModelConfig config = model.config();
  config.torch_dtype = save_dtype == torch::kBFloat16 ? "bfloat16"
                       : save_dtype == torch::kHalf   ? "float16"
                                                      : "float32";
  write_json(staging / "config.json", config.to_json());
  // Every stop id the model was loaded with (Llama 3 Instruct's list), so the checkpoint ends
  // its responses where the model it came from did.
  const std::vector<int64_t> stops = tokenizer.stop_ids();
  write_json(
      staging / "generation_config.json",
      {{"bos_token_id", config.bos_token_id},
       {"eos_token_id", stops.size() == 1 ? nlohmann::json(stops[0]) : nlohmann::json(stops)}});
  save_tokenizer(tokenizer, staging.string());

  // Group the weights into shards in name order.
  std::vector<NamedTensors> shards(1);
  int64_t shard_bytes = 0, total_bytes = 0;
  for (const auto& [name, weight] : model.named_weights()) {
    torch::Tensor data = weight.detach().to(save_dtype);
    // A merged weight is a new tensor: on the host, so that the device holds no merged copy.
    if (merged) {
      const torch::Tensor base = weight.detach();
      const torch::Tensor adapted = merged->merged_weight(name, base);
      if (!adapted.is_same(base)) data = adapted.to(torch::kCPU).to(save_dtype);
    }
    const int64_t bytes = data.nbytes();
    if (max_shard_bytes > 0 && shard_bytes > 0 && shard_bytes + bytes > max_shard_bytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shards.back().emplace_back(name, data);
    shard_bytes += bytes;
    total_bytes += bytes;
  }
  const std::map<std::string, std::string> metadata = {{"format", "pt"}};
  if (max_shard_bytes <= 0) {
    write_safetensors((staging / "model.safetensors").string(), shards[0], metadata);
  } else {
    nlohmann::json weight_map = nlohmann::json::object();
    for (size_t i = 0; i < shards.size(); ++i) {
      char name[64];
      std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", i + 1, shards.size());
      write_safetensors((staging / name).string(), shards[i], metadata);
      for (const auto& [tensor_name, tensor] : shards[i]) weight_map[tensor_name] = name;
    }
    write_json(staging / "model.safetensors.index.json",
               {{"metadata", {{"total_size", total_bytes}}}, {"weight_map", weight_map}});
  }
  fs::remove_all(target);
  fs::rename(staging, target);
}

void place_on_grid(const ProcessGrid& grid, Transformer& model) {
  if (model.device() != grid.device()) model.to(grid.device());
  if (grid.tensor()) model.shard_tensor_parallel(*grid.tensor());
}

LoadedModel load_hf_model_for(const ProcessGrid& grid, const std::string& directory,
                              torch::ScalarType dtype) {
  LoadedModel loaded = load_hf_model(directory, dtype);
  place_on_grid(grid, *loaded.model);
  return loaded;
}

void save_whole_hf_model(Comm& job, const std::string& directory, Transformer& model,
                         const Tokenizer& tokenizer, const LoraAdapter* merged) {
  // A model trained in bfloat16 or float16 is written in its own dtype, anything else (the
  // float64 of gradient checks) as float32.
  const torch::ScalarType dtype = model.dtype();
  const torch::ScalarType save_dtype =
      dtype == torch::kBFloat16 || dtype == torch::kHalf ? dtype : torch::kFloat;
  if (!model.tensor_parallel()) {
    if (job.rank() == 0) save_hf_model(directory, model, tokenizer, save_dtype, 0, merged);
    return;
  }
  torch::NoGradGuard no_grad;
  // Each slice merged with its adapter's slices (a slice of the merged whole), then gathered.
  std::map<std::string, torch::Tensor> slices = model.named_weights();
  if (merged)
    for (auto& [name, slice] : slices) slice = merged->merged_weight(name, slice);
  const std::map<std::string, torch::Tensor> weights =
      gather_tensor_parallel_weights(std::move(slices), *model.tensor_parallel_group());
  if (job.rank() != 0) return;
  Transformer whole(model.config(), model.dtype());
  for (auto& [name, weight] : whole.named_weights()) weight.copy_(weights.at(name));
  save_hf_model(directory, whole, tokenizer, save_dtype);
}

}  // namespace scir
