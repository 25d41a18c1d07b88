#include "tensor_parallel_grid.h"

#include "scir/dist/agreement.h"

namespace scir::app {

void declare_tensor_parallel_option(OptionSet& options) {
  options.add_int("tp", 1,
                  "tensor-parallel ranks a model copy (consecutive ranks; T must divide the "
                  "ranks, the heads, the MLP width and the vocabulary)");
}

TensorParallelGrid make_tensor_parallel_grid(const OptionSet& options, Comm& comm) {
  TensorParallelGrid grid;
  agree_or_throw(comm, [&] {
    const long long tp = options.get_int("tp");
    if (tp < 1 || comm.size() % tp != 0)
      options.reject("tp", cat("a divisor of the ", comm.size(), " ranks"));
    grid.size = static_cast<int>(tp);
  });
  grid.tensor = comm.split(comm.rank() / grid.size, comm.rank());
  grid.data = comm.split(comm.rank() % grid.size, comm.rank());
  return grid;
}

void save_whole_model(Comm& comm, const TensorParallelGrid& grid, const std::string& directory,
                      Transformer& model, const Tokenizer& tokenizer) {
  if (grid.size == 1) {
    if (comm.rank() == 0) save_hf_model(directory, model, tokenizer);
    return;
  }
  const std::map<std::string, torch::Tensor> weights = model.whole_weights();
  if (comm.rank() != 0) return;
  Transformer whole(model.config(), model.dtype());
  torch::NoGradGuard no_grad;
  for (auto& [name, weight] : whole.named_weights()) weight.copy_(weights.at(name));
  save_hf_model(directory, whole, tokenizer);
}

}  // namespace scir::app
