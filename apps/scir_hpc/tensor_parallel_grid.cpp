#include "tensor_parallel_grid.h"

#include "scir/dist/agreement.h"
#include "scir/model/tensor_parallel.h"

namespace scir::app {

void declare_tensor_parallel_option(OptionSet& options) {
  options.add_int("tp", 1,
                  "tensor-parallel ranks a model copy (consecutive ranks; T must divide the "
                  "ranks, the heads, the MLP width and the vocabulary)");
}

std::unique_ptr<ProcessGrid> make_tensor_parallel_grid(const OptionSet& options, Comm& comm) {
  int size = 1;
  agree_or_throw(comm, [&] {
    const long long tp = options.get_int("tp");
    if (tp < 1 || comm.size() % tp != 0)
      options.reject("tp", cat("a divisor of the ", comm.size(), " ranks"));
    size = static_cast<int>(tp);
  });
  return std::make_unique<ProcessGrid>(comm, size);
}

void check_tensor_parallel_shape(const OptionSet& options, const ModelConfig& config, int tp) {
  const std::string indivisible = indivisible_dimension(config, tp);
  if (!indivisible.empty()) options.reject("tp", cat("a divisor of the model's ", indivisible));
}

}  // namespace scir::app
