// The LoRA options of a training phase under a prefix ("scir." for the iterations of run):
// lora_rank (0: full-parameter training), lora_alpha, lora_targets, lora_rslora.
#pragma once

#include <string>
#include <vector>

#include "scir/core/config.h"
#include "scir/model/lora_adapter.h"

namespace scir::app {

// The targets of a comma-separated list `text` given as option `key` (refused naming it unless
// they are distinct names among q, k, v, o, gate, up, down).
std::vector<std::string> parse_lora_targets(const OptionSet& options, const std::string& key,
                                            const std::string& text);

void declare_lora_options(OptionSet& options, const std::string& prefix);
// The settings, each value checked; the others are refused while lora_rank is 0, since they
// would be ignored.
LoraSettings read_lora_options(const OptionSet& options, const std::string& prefix);

// Refuses (naming option `rank_key`) a rank above the smaller dimension of a target of a model
// of `config`.
void check_lora_fits(const OptionSet& options, const std::string& rank_key, int64_t rank,
                     const std::vector<std::string>& targets, const ModelConfig& config);

}  // namespace scir::app
