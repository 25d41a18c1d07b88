#include "scir/model/lora_projection.h"

namespace scir {

torch::Tensor lora_term(const torch::Tensor& x, const LoraProjections& projections,
                        const std::string& name, torch::ScalarType dtype) {
  const auto found = projections.find(name);
  if (found == projections.end() || !*found->second->enabled) return torch::Tensor();
  const LoraProjection& p = *found->second;
  namespace F = torch::nn::functional;
  return (F::linear(F::linear(x.to(p.a.scalar_type()), p.a), p.b) * p.scale).to(dtype);
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
