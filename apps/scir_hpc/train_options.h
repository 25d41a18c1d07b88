// Options of next-token training (pretrain, sft, and the seed phases of a run) under a prefix:
// "train." for the standalone commands, "pretrain." and "sft." inside a run configuration.
#pragma once

#include <string>

#include "scir/core/config.h"
#include "scir/train/lm_trainer.h"

namespace scir::app {

void declare_train_options(OptionSet& options, const std::string& prefix,
                           const LmTrainOptions& defaults);
LmTrainOptions read_train_options(const OptionSet& options, const std::string& prefix,
                                  const std::string& label);

}  // namespace scir::app
