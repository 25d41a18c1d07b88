#include "scir/model/lora_projection.h"

#include "scir/model/tensor_parallel.h"

namespace scir {

torch::Tensor lora_term(const torch::Tensor& x, const LoraProjections& projections,
                        const std::string& name, torch::ScalarType dtype) {
  const auto found = projections.find(name);
  if (found == projections.end() || !*found->second->enabled) return torch::Tensor();
  const LoraProjection& p = *found->second;
  torch::Tensor a = p.a, b = p.b;
  if (p.group) {
    torch::Tensor& whole = p.rows_cut ? a : b;
    whole = copy_to_tensor_parallel(whole, *p.group);
  }
  namespace F = torch::nn::functional;
  return (F::linear(F::linear(x.to(a.scalar_type()), a), b) * p.scale).to(dtype);
}

torch::Tensor add_lora(const torch::Tensor& base, const torch::Tensor& x,
                       const LoraProjections& projections, const std::string& name) {
  const torch::Tensor term = lora_term(x, projections, name, base.scalar_type());
  return term.defined() ? base + term : base;
}

bool lora_active(const LoraProjections& projections) {
  for (const auto& [name, projection] : projections)
    if (*projection->enabled) return true;
  return false;
}

}  // namespace scir
