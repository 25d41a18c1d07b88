#include "scir/model/rotary.h"

#include "scir/model/precision.h"

namespace scir {

RotaryTables rotary_tables(const torch::Tensor& positions, int64_t head_dim, double theta) {
  const auto options = torch::TensorOptions().dtype(torch::kFloat).device(positions.device());
  const torch::Tensor exponents = torch::arange(0, head_dim, 2, options) / head_dim;
  const torch::Tensor inverse_frequency = torch::pow(theta, -exponents);
  const torch::Tensor angles = positions.to(torch::kFloat).unsqueeze(-1) * inverse_frequency;
  const torch::Tensor both_halves = torch::cat({angles, angles}, -1);
  return {both_halves.cos(), both_halves.sin()};
}

torch::Tensor apply_rotary(const torch::Tensor& x, const RotaryTables& tables) {
  const int64_t half = x.size(-1) / 2;
  const torch::Tensor xf = x.to(compute_dtype(x.scalar_type()));
  const torch::Tensor rotated =
      torch::cat({-xf.narrow(-1, half, half), xf.narrow(-1, 0, half)}, -1);
  const torch::Tensor cos = tables.cos.unsqueeze(1);
  const torch::Tensor sin = tables.sin.unsqueeze(1);
  return (xf * cos + rotated * sin).to(x.scalar_type());
}

}  // namespace scir
