// LoRA in a training phase (docs/RUNNING.md, "LoRA"): adapters attached to the frozen model before
// the phase trains them, then written in PEFT's format beside the phase's checkpoint and merged
// into the weights, so that the next phase reads an ordinary model.
#pragma once

#include <memory>
#include <string>

#include "scir/dist/comm.h"
#include "scir/model/lora_adapter.h"

namespace scir {

// A new adapter of `settings` on `model`, its A drawn from `seed`, or nullptr when
// settings.rank is 0. Logs, under `label`, how many parameters train and how many are frozen.
std::unique_ptr<LoraAdapter> attach_lora(Transformer& model, const LoraSettings& settings,
                                         uint64_t seed, const std::string& label);

// Rank 0 of `job` writes `adapter` to `directory` (PEFT's format, whole: collective over the
// tensor-parallel group; `base_model`, the directory of the model it adapts, recorded as its
// base).
void save_lora(Comm& job, const LoraAdapter& adapter, const std::string& directory,
               const std::string& base_model);

// save_lora, then every rank merges the adapter into the model's weights and drops it. Nothing
// when `adapter` is null.
void save_and_merge_lora(Comm& job, std::unique_ptr<LoraAdapter>& adapter,
                         const std::string& directory, const std::string& base_model);

}  // namespace scir
