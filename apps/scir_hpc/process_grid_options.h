// --device and --tp: the process grid (scir/dist/process_grid.h) of the commands that run a
// model. --device puts each rank on the CPU or on one GPU (scir/dist/rank_device.h), and a job
// on GPUs talks through a DeviceComm (NCCL for the models' tensors); --tp cuts a model copy over
// T consecutive ranks, data parallel across the copies.
#pragma once

#include <memory>

#include "scir/core/config.h"
#include "scir/dist/comm.h"
#include "scir/dist/process_grid.h"
#include "scir/dist/rank_device.h"
#include "scir/model/model_config.h"

namespace scir::app {

// --device alone, for the commands that run a model on one rank's share without --tp.
void declare_device_option(OptionSet& options);
// --device and --tp.
void declare_tensor_parallel_option(OptionSet& options);

// Collective over `comm`: the grid of --tp on the devices of --device. `sharing` says which
// ranks divide a host's GPUs (gathered over the whole job, e.g. before a sweep splits it);
// null: the ranks of `comm`. Bad values are agreed InputErrors naming the option.
std::unique_ptr<ProcessGrid> make_tensor_parallel_grid(const OptionSet& options, Comm& comm,
                                                       const DeviceSharing* sharing = nullptr);
// The same checks, and the same grid of ranks on the host alone (no device communicator): for
// reading a run's options before its work, as a sweep does for every run of its grid.
std::unique_ptr<ProcessGrid> check_tensor_parallel_grid(const OptionSet& options, Comm& comm,
                                                        const DeviceSharing* sharing);
// The same for a command with --device and no --tp (one rank a model copy).
std::unique_ptr<ProcessGrid> make_device_grid(const OptionSet& options, Comm& comm);
// An InputError naming --tp unless tp divides the model's heads, key-value heads, MLP width and
// vocabulary (what Transformer::shard_tensor_parallel cuts).
void check_tensor_parallel_shape(const OptionSet& options, const ModelConfig& config, int tp);

}  // namespace scir::app
