#include "scir/optim/adamw_update.h"

#include <cmath>

#include "scir/core/float_loops.h"

namespace scir {
namespace {

// The same arithmetic in float32, value by value (vectorised: the library builds with
// -fno-math-errno).
void one_pass_update(float* w, const float* g, float* m, float* v, int64_t n,
                     const AdamWSettings& s, double correction1, double correction2,
                     double grad_scale) {
  const auto beta1 = static_cast<float>(s.beta1), beta2 = static_cast<float>(s.beta2);
  const auto keep1 = static_cast<float>(1 - s.beta1), keep2 = static_cast<float>(1 - s.beta2);
  const auto decay = static_cast<float>(1 - s.lr * s.weight_decay);
  const auto root_correction2 = static_cast<float>(std::sqrt(correction2));
  const auto eps = static_cast<float>(s.eps), scale = static_cast<float>(grad_scale);
  const auto step_size = static_cast<float>(s.lr / correction1);
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i] * scale;
    const float mi = m[i] * beta1 + gi * keep1;
    const float vi = v[i] * beta2 + gi * gi * keep2;
    m[i] = mi;
    v[i] = vi;
    w[i] = w[i] * decay - step_size * (mi / (std::sqrt(vi) / root_correction2 + eps));
  }
}

}  // namespace

void adamw_update(torch::Tensor weights, const torch::Tensor& grad, torch::Tensor m,
                  torch::Tensor v, const AdamWSettings& s, int64_t step, double grad_scale) {
  torch::NoGradGuard no_grad;
  const double correction1 = 1 - std::pow(s.beta1, static_cast<double>(step));
  const double correction2 = 1 - std::pow(s.beta2, static_cast<double>(step));
  if (!(is_contiguous_cpu_float(weights) && is_contiguous_cpu_float(grad) &&
        is_contiguous_cpu_float(m) && is_contiguous_cpu_float(v))) {
    const torch::Tensor g = grad_scale == 1.0 ? grad : grad * grad_scale;
    // Without weight decay the multiplication by 1 would be a wasted pass.
    if (s.weight_decay != 0) weights.mul_(1 - s.lr * s.weight_decay);
    m.mul_(s.beta1).add_(g, 1 - s.beta1);
    v.mul_(s.beta2).addcmul_(g, g, 1 - s.beta2);
    const torch::Tensor denominator = (v.sqrt() / std::sqrt(correction2)).add_(s.eps);
    weights.addcdiv_(m, denominator, -s.lr / correction1);
    return;
  }
  one_pass_update(weights.data_ptr<float>(), grad.data_ptr<float>(), m.data_ptr<float>(),
                  v.data_ptr<float>(), weights.numel(), s, correction1, correction2, grad_scale);
}

}  // namespace scir
