// The options of the seed phases (world, data, model, pretrain, sft, eval), shared by the seed
// and run commands.
#pragma once

#include "scir/core/config.h"
#include "scir/pipeline/seed_models.h"

namespace scir::app {

void declare_seed_options(OptionSet& options);
SeedModelsPlan read_seed_options(const OptionSet& options);
// Training batches must split evenly over the ranks.
void check_seed_batches(const OptionSet& options, const SeedModelsPlan& plan, int ranks);

}  // namespace scir::app
