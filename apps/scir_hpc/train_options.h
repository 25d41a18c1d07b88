// Options of next-token training (pretrain, sft, and the seed phases of a run) under a prefix:
// "train." for the standalone commands, "pretrain." and "sft." inside a run configuration.
#pragma once

#include <string>

#include "scir/core/config.h"
#include "scir/train/lm_trainer.h"

namespace scir::app {

void declare_train_options(OptionSet& options, const std::string& prefix,
                           const LmTrainOptions& defaults);
// The data-parallel step's options under a prefix (bucket_mb, zero1, max_nonfinite_steps,
// check_replicas): part of declare_train_options, and for the iterations under "scir.".
void declare_data_parallel_options(OptionSet& options, const std::string& prefix);
DataParallelSettings read_data_parallel_options(const OptionSet& options,
                                                const std::string& prefix);
// min_steps 0: the phase is optional (0 steps turns it off).
LmTrainOptions read_train_options(const OptionSet& options, const std::string& prefix,
                                  const std::string& label, int64_t min_steps = 1);

}  // namespace scir::app
