#include "scir/dist/gradient_norm.h"

#include <cmath>

#include "scir/core/errors.h"

namespace scir {

double TensorParallelNorm::weight(size_t parameter) const {
  if (!group || !replicated.at(parameter)) return 1.0;
  return group->rank() == 0 ? 1.0 : 0.0;
}

double tensor_parallel_norm_squares(const TensorParallelNorm& tp, double local_squares) {
  return tp.group ? all_reduce_scalar(*tp.group, local_squares, ReduceOp::kSum) : local_squares;
}

double clip_global_grad_norm(const std::vector<torch::Tensor>& parameters, double max_norm,
                             const TensorParallelNorm& tp) {
  if (!tp.group) return torch::nn::utils::clip_grad_norm_(parameters, max_norm);
  if (tp.replicated.size() != parameters.size())
    throw InternalError("clip_global_grad_norm: one replicated flag a parameter expected");
  torch::NoGradGuard no_grad;
  double squares = 0;
  for (size_t i = 0; i < parameters.size(); ++i) {
    const torch::Tensor& grad = parameters[i].grad();
    if (!grad.defined()) continue;
    squares += tp.weight(i) * grad.to(torch::kDouble).pow(2).sum().item<double>();
  }
  const double norm = std::sqrt(tensor_parallel_norm_squares(tp, squares));
  const double coefficient = max_norm / (norm + 1e-6);
  if (coefficient < 1) {
    for (const torch::Tensor& p : parameters) {
      if (p.grad().defined()) p.grad().mul_(coefficient);
    }
  }
  return norm;
}

}  // namespace scir
