// The LoRA options of a training phase under a prefix ("scir." for the iterations of run):
// lora_rank (0: full-parameter training), lora_alpha, lora_targets, lora_rslora.
#pragma once

#include <string>

#include "scir/core/config.h"
#include "scir/model/lora_adapter.h"

namespace scir::app {

void declare_lora_options(OptionSet& options, const std::string& prefix);
// The settings, each value checked; the others are refused while lora_rank is 0, since they
// would be ignored.
LoraSettings read_lora_options(const OptionSet& options, const std::string& prefix);

// Refuses a rank above the smaller dimension of a target of a model of `config`.
void check_lora_fits(const OptionSet& options, const std::string& prefix, const LoraSettings& lora,
                     const ModelConfig& config);

}  // namespace scir::app
