// Options of the embedded world shared by the world, eval and run commands.
#pragma once

#include <memory>

#include "scir/core/config.h"
#include "scir/data/judge_template.h"
#include "scir/data/world/world.h"

namespace scir::app {

void declare_world_options(OptionSet& options);
world::World make_world(const OptionSet& options);
JudgeTemplate pairwise_template(const OptionSet& options);

}  // namespace scir::app
