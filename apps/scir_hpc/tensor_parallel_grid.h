// --tp T: the process grid of the commands that can cut a model over ranks. Tensor-parallel
// groups are T consecutive ranks; the data-parallel groups run across them (the ranks holding
// the same slice). Both come from Comm::split.
#pragma once

#include <memory>

#include "scir/core/config.h"
#include "scir/dist/comm.h"
#include "scir/io/hf_checkpoint.h"

namespace scir::app {

struct TensorParallelGrid {
  int size = 1;
  std::unique_ptr<Comm> tensor;  // the ranks that share one model copy
  std::unique_ptr<Comm> data;    // the ranks that hold the same slice, one a copy
};

void declare_tensor_parallel_option(OptionSet& options);
// Collective; a T that does not divide the ranks is an agreed InputError naming --tp.
TensorParallelGrid make_tensor_parallel_grid(const OptionSet& options, Comm& comm);
// Writes the model as one Hugging Face directory from rank 0 of `comm`; with tensor
// parallelism the slices are gathered first (collective over every tensor group).
void save_whole_model(Comm& comm, const TensorParallelGrid& grid, const std::string& directory,
                      Transformer& model, const Tokenizer& tokenizer);

}  // namespace scir::app
