// Options of next-token training (pretrain, sft, and the seed phases of a run) under a prefix:
// "train." for the standalone commands, "pretrain." and "sft." inside a run configuration.
#pragma once

#include <string>

#include "scir/core/config.h"
#include "scir/train/lm_trainer.h"

namespace scir::app {

void declare_train_options(OptionSet& options, const std::string& prefix,
                           const LmTrainOptions& defaults);
// The bucket size and replica check under a prefix (bucket_mb, check_replicas): declared by
// declare_train_options, and for the iterations under "scir.".
GradientSyncOptions read_gradient_sync(const OptionSet& options, const std::string& prefix);
LmTrainOptions read_train_options(const OptionSet& options, const std::string& prefix,
                                  const std::string& label);

}  // namespace scir::app
