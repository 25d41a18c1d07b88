// A Hugging Face model directory: config.json, model.safetensors (or sharded
// model-0000i-of-0000n.safetensors with model.safetensors.index.json), the tokenizer file, and
// generation_config.json. What save_hf_model writes loads with transformers' from_pretrained.
#pragma once

#include <memory>
#include <string>

#include "scir/dist/comm.h"
#include "scir/dist/process_grid.h"
#include "scir/model/lora_adapter.h"
#include "scir/model/transformer.h"
#include "scir/tokenizer/tokenizer.h"

namespace scir {

struct LoadedModel {
  std::shared_ptr<Transformer> model;
  std::unique_ptr<Tokenizer> tokenizer;
};

// The checks of load_hf_model that need no weights read: the directory, config.json, a
// tokenizer that fits the vocabulary, the weight files present. Returns the configuration.
ModelConfig check_hf_model(const std::string& directory);

// Weights in F32, F16 or BF16 are converted to `dtype`. A missing directory or file, a
// malformed file, a missing, unexpected or misshapen tensor, or a tokenizer whose vocabulary
// does not fit the model is an InputError naming it.
LoadedModel load_hf_model(const std::string& directory, torch::ScalarType dtype = torch::kFloat);

// Writes the model (weights in `save_dtype`) and tokenizer into a temporary directory beside
// `directory`, then renames it into place. max_shard_bytes > 0 splits the weights into shards
// of at most that size (one tensor never splits) with an index file.
void save_hf_model(const std::string& directory, const Transformer& model,
                   const Tokenizer& tokenizer, torch::ScalarType save_dtype = torch::kFloat,
                   int64_t max_shard_bytes = 0, const LoraAdapter* merged = nullptr);

// Moves the model to the grid's device, then cuts it into this rank's slices where the grid has
// a tensor group.
void place_on_grid(const ProcessGrid& grid, Transformer& model);

// load_hf_model, then place_on_grid.
LoadedModel load_hf_model_for(const ProcessGrid& grid, const std::string& directory,
                              torch::ScalarType dtype = torch::kFloat);

// save_hf_model from the job's rank 0 of a model that may be cut for tensor parallelism: its
// slices are gathered first, which is collective over its tensor-parallel group, so every rank
// of the job calls this. Weights in the model's dtype (bfloat16, float16), else float32.
// With `merged`, an adapter on the model, the checkpoint holds the model with the adapter
// merged (LoraAdapter::merged_weight, each tensor made and written in turn) and the model in
// memory stays unmerged.
void save_whole_hf_model(Comm& job, const std::string& directory, Transformer& model,
                         const Tokenizer& tokenizer, const LoraAdapter* merged = nullptr);

}  // namespace scir
