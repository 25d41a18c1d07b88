// Options of the embedded world shared by the world, eval and run commands.
#pragma once

#include <memory>

#include "scir/core/config.h"
#include "scir/data/judge_template.h"
#include "scir/data/world/world.h"
#include "scir/data/world/world_datasets.h"
#include "scir/eval/world_eval.h"

namespace scir::app {

void declare_world_options(OptionSet& options);
world::World make_world(const OptionSet& options);
JudgeTemplate pairwise_template(const OptionSet& options);

// The [data] options: sizes of the world's data sets.
void declare_dataset_options(OptionSet& options);
world::DatasetSizes read_dataset_options(const OptionSet& options);

// The [eval] options of an evaluation in the world.
void declare_eval_options(OptionSet& options);
WorldEvalSettings read_eval_options(const OptionSet& options);

}  // namespace scir::app
