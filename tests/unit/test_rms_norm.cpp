#include <gtest/gtest.h>

#include "scir/model/rms_norm.h"

namespace scir {
namespace {

double max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// The one-pass CPU version against the operator-by-operator formula: values, and gradients of
// x and the weight for a random upstream gradient. Width 20: the eight-lane loops and a rest.
TEST(RmsNorm, FusedPassEqualsTheFormulaForwardAndBackward) {
  auto generator = at::detail::createCPUGenerator(3);
  const torch::Tensor x0 = torch::randn({3, 5, 20}, generator) * 3;
  const torch::Tensor w0 = torch::randn({20}, generator);
  const torch::Tensor upstream = torch::randn({3, 5, 20}, generator);
  torch::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
  torch::Tensor x_ref = x0.clone().requires_grad_(true), w_ref = w0.clone().requires_grad_(true);
  const torch::Tensor y = rms_norm(x, w, 1e-5);
  const torch::Tensor y_ref = rms_norm_reference(x_ref, w_ref, 1e-5);
  EXPECT_GT(y_ref.abs().max().item<double>(), 1.0);
  EXPECT_LT(max_difference(y, y_ref), 2e-6);
  (y * upstream).sum().backward();
  (y_ref * upstream).sum().backward();
  EXPECT_GT(x_ref.grad().abs().max().item<double>(), 0.1);
  EXPECT_LT(max_difference(x.grad(), x_ref.grad()), 2e-6);
  EXPECT_LT(max_difference(w.grad(), w_ref.grad()), 1e-5);
}

// Against finite differences in float64 of the formula, for one input element and one weight.
TEST(RmsNorm, FusedGradientMatchesFiniteDifferences) {
  auto generator = at::detail::createCPUGenerator(4);
  const torch::Tensor x0 = torch::randn({4, 9}, generator);
  const torch::Tensor w0 = torch::randn({9}, generator);
  const torch::Tensor upstream = torch::randn({4, 9}, generator);
  torch::Tensor x = x0.clone().requires_grad_(true), w = w0.clone().requires_grad_(true);
  (rms_norm(x, w, 1e-6) * upstream).sum().backward();
  const auto loss = [&](const torch::Tensor& xd, const torch::Tensor& wd) {
    return (rms_norm_reference(xd, wd, 1e-6) * upstream.to(torch::kDouble)).sum().item<double>();
  };
  const double h = 1e-6;
  const torch::Tensor xd = x0.to(torch::kDouble), wd = w0.to(torch::kDouble);
  torch::Tensor plus = xd.clone(), minus = xd.clone();
  plus[2][5] += h;
  minus[2][5] -= h;
  EXPECT_NEAR(x.grad()[2][5].item<double>(), (loss(plus, wd) - loss(minus, wd)) / (2 * h), 1e-4);
  torch::Tensor w_plus = wd.clone(), w_minus = wd.clone();
  w_plus[7] += h;
  w_minus[7] -= h;
  EXPECT_NEAR(w.grad()[7].item<double>(), (loss(xd, w_plus) - loss(xd, w_minus)) / (2 * h), 1e-4);
}

}  // namespace
}  // namespace scir
