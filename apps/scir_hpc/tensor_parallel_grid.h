// --tp T: the process grid (scir/dist/process_grid.h) of the commands that can cut a model over
// ranks: tensor-parallel groups of T consecutive ranks, data parallel across them.
#pragma once

#include <memory>

#include "scir/core/config.h"
#include "scir/dist/comm.h"
#include "scir/dist/process_grid.h"
#include "scir/model/model_config.h"

namespace scir::app {

void declare_tensor_parallel_option(OptionSet& options);
// Collective; a T that does not divide the ranks is an agreed InputError naming --tp.
std::unique_ptr<ProcessGrid> make_tensor_parallel_grid(const OptionSet& options, Comm& comm);
// An InputError naming --tp unless tp divides the model's heads, key-value heads, MLP width and
// vocabulary (what Transformer::shard_tensor_parallel cuts).
void check_tensor_parallel_shape(const OptionSet& options, const ModelConfig& config, int tp);

}  // namespace scir::app
