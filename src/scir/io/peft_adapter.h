// PEFT's LoRA adapter directory, both ways: adapter_config.json (peft_type "LORA", r,
// lora_alpha, target_modules, use_rslora, ...) and adapter_model.safetensors with PEFT's tensor
// names ("base_model.model.model.layers.<i>.self_attn.q_proj.lora_A.weight", [r, in], and
// "...lora_B.weight", [out, r]). Features of PEFT's LoRA that change the computation and are not
// implemented here (DoRA, trained biases, modules_to_save, per-layer ranks, adapters on some
// layers only, ...) are refused by name.
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>

#include "scir/model/lora_adapter.h"

namespace scir {

struct PeftLoraAdapter {
  LoraSettings settings;
  std::map<std::string, torch::Tensor> weights;  // PEFT's names, the file's dtype
};

// Writes an adapter of `settings` whose whole weights (PEFT's names) are `weights` to
// `directory` (float32) through a staging directory renamed at the end. `base_model` is
// recorded as base_model_name_or_path.
void save_peft_adapter(const std::string& directory, const LoraSettings& settings,
                       const std::map<std::string, torch::Tensor>& weights,
                       const std::string& base_model);
// The same for `adapter` (collective over its tensor-parallel group, if any).
void save_peft_adapter(const std::string& directory, const LoraAdapter& adapter,
                       const std::string& base_model);

// Reads and checks a PEFT LoRA adapter directory (every defect an InputError naming the file
// and field).
PeftLoraAdapter load_peft_adapter(const std::string& directory);

// Refuses (naming the adapter's file) a PEFT LoRA adapter in `directory` that does not fit a
// model of `config`: a rank above a target's smaller dimension, or tensors of other names or
// shapes. Reads the adapter, not the model: a check before any work.
void check_peft_adapter_fits(const std::string& directory, const ModelConfig& config);

// The adapter in `directory` attached to `model`, unmerged (its weights as the file holds them,
// float32); an adapter whose targets, layers or shapes do not match the model is refused naming
// it.
std::unique_ptr<LoraAdapter> attach_peft_adapter(Transformer& model, const std::string& directory);

// Loads the adapter in `directory` onto `model` and merges it into the weights (W + scale B A);
// an adapter whose targets, layers or shapes do not match the model is refused naming it.
void merge_peft_adapter(Transformer& model, const std::string& directory);

}  // namespace scir
