#include <gtest/gtest.h>

#include "scir/model/rotary.h"

namespace scir {
namespace {

// The one-pass rotation against the formula, on a transposed view as attention passes it
// ([B, T, heads, d] -> [B, heads, T, d]), with positions that differ by row: values and the
// gradient for a random upstream gradient.
TEST(Rotary, OnePassEqualsTheFormulaForwardAndBackward) {
  auto generator = at::detail::createCPUGenerator(8);
  const torch::Tensor base = torch::randn({2, 5, 3, 8}, generator);
  const torch::Tensor positions = torch::tensor({0, 1, 2, 3, 4, 0, 0, 7, 8, 9}).view({2, 5});
  const RotaryTables tables = rotary_tables(positions, 8, 10000.0);
  const torch::Tensor upstream = torch::randn({2, 3, 5, 8}, generator);
  torch::Tensor x = base.clone().requires_grad_(true);
  torch::Tensor x_ref = base.clone().requires_grad_(true);
  const torch::Tensor y = apply_rotary(x.transpose(1, 2), tables);
  const torch::Tensor y_ref = apply_rotary_reference(x_ref.transpose(1, 2), tables);
  EXPECT_LT((y - y_ref).abs().max().item<double>(), 1e-6);
  // Rows at position 0 pass unchanged; later ones do not.
  EXPECT_LT((y[0].select(1, 0) - base[0][0]).abs().max().item<double>(), 1e-6);
  EXPECT_GT((y[1].select(1, 4) - base[1][4]).abs().max().item<double>(), 0.1);
  (y * upstream).sum().backward();
  (y_ref * upstream).sum().backward();
  EXPECT_GT(x_ref.grad().abs().max().item<double>(), 0.1);
  EXPECT_LT((x.grad() - x_ref.grad()).abs().max().item<double>(), 1e-6);
}

}  // namespace
}  // namespace scir
