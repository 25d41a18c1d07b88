#include "scir/dist/gradient_norm.h"

#include <algorithm>
#include <cmath>

#include "scir/core/errors.h"
#include "scir/core/float_loops.h"

namespace scir {

double TensorParallelNorm::weight(size_t parameter) const {
  if (!group || !replicated.at(parameter)) return 1.0;
  return group->rank() == 0 ? 1.0 : 0.0;
}

double tensor_parallel_norm_squares(const TensorParallelNorm& tp, double local_squares) {
  return tp.group ? all_reduce_scalar(*tp.group, local_squares, ReduceOp::kSum) : local_squares;
}

double global_grad_norm(const std::vector<torch::Tensor>& parameters,
                        const TensorParallelNorm& tp) {
  if (tp.group && tp.replicated.size() != parameters.size())
    throw InternalError("global_grad_norm: one replicated flag a parameter expected");
  torch::NoGradGuard no_grad;
  double squares = 0;
  torch::Tensor on_device;  // elsewhere (a GPU): summed there, read back once
  for (size_t i = 0; i < parameters.size(); ++i) {
    const torch::Tensor& grad = parameters[i].grad();
    if (!grad.defined()) continue;
    if (is_contiguous_cpu_float(grad)) {
      squares += tp.weight(i) * squares_in_double(grad.data_ptr<float>(), grad.numel());
    } else {
      const torch::Tensor part = grad.to(torch::kDouble).pow(2).sum() * tp.weight(i);
      on_device = on_device.defined() ? on_device + part : part;
    }
  }
  if (on_device.defined()) squares += on_device.item<double>();
  return std::sqrt(tensor_parallel_norm_squares(tp, squares));
}

double clip_coefficient(double norm, double max_norm) {
  if (max_norm <= 0) return 1.0;
  return std::min(1.0, max_norm / (norm + 1e-6));
}

}  // namespace scir
