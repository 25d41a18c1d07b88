#include <gtest/gtest.h>

#include "scir/model/swiglu.h"
#include "scir/model/vector_levels.h"

namespace scir {
namespace {

// silu(gate) * up in one pass on the fused [..., 2 I] layout against LibTorch's operators:
// values and the fused gradient for a random upstream gradient, over gates from -100 to 100
// (where e^-gate leaves float32's range on both sides), a width that is not a whole number of
// vectors and one longer than a piece of the pass; at every vector level this CPU runs.
TEST(Swiglu, OnePassEqualsTheFormulaForwardAndBackward) {
  auto generator = at::detail::createCPUGenerator(21);
  for (const int64_t width : {45, 1100}) {
    SCOPED_TRACE(width);
    torch::Tensor base = torch::randn({3, 7, 2 * width}, generator) * 4;
    base[0][0].narrow(0, 0, width).copy_(torch::linspace(-100, 100, width));
    const torch::Tensor upstream = torch::randn({3, 7, width}, generator);
    for (const VectorLevel level : vector_levels_this_cpu_runs()) {
      SCOPED_TRACE(vector_level_name(level));
      pin_vector_level(level);
      torch::Tensor gate_up = base.clone().requires_grad_(true);
      torch::Tensor gate_up_ref = base.clone().requires_grad_(true);
      const torch::Tensor out = swiglu(gate_up);
      const torch::Tensor out_ref = swiglu_reference(gate_up_ref);
      ASSERT_EQ(out.sizes(), out_ref.sizes());
      EXPECT_TRUE(torch::allclose(out, out_ref, 1e-5, 1e-6));
      (out * upstream).sum().backward();
      (out_ref * upstream).sum().backward();
      EXPECT_GT(gate_up_ref.grad().narrow(-1, 0, width).abs().max().item<double>(), 0.5);
      EXPECT_GT(gate_up_ref.grad().narrow(-1, width, width).abs().max().item<double>(), 0.5);
      EXPECT_TRUE(torch::allclose(gate_up.grad(), gate_up_ref.grad(), 1e-5, 1e-6));
    }
  }
  pin_vector_level(std::nullopt);
}

// The gradient of the reference against central finite differences in double precision, so
// the reference itself is the formula it claims to be.
TEST(Swiglu, ReferenceGradientMatchesFiniteDifferences) {
  auto generator = at::detail::createCPUGenerator(5);
  const torch::Tensor base = torch::randn({2, 6}, generator).to(torch::kDouble) * 3;
  torch::Tensor gate_up = base.clone().requires_grad_(true);
  swiglu(gate_up).sum().backward();
  const double h = 1e-6;
  for (int64_t i = 0; i < base.numel(); ++i) {
    torch::Tensor plus = base.clone(), minus = base.clone();
    plus.view(-1)[i] += h;
    minus.view(-1)[i] -= h;
    const double numeric =
        (swiglu(plus).sum().item<double>() - swiglu(minus).sum().item<double>()) / (2 * h);
    EXPECT_NEAR(gate_up.grad().view(-1)[i].item<double>(), numeric, 1e-6) << i;
  }
}

// NaN in a gate or an up value reaches the outputs of its own position and no other.
TEST(Swiglu, NanStaysInItsPosition) {
  torch::Tensor gate_up = torch::ones({2, 8});
  gate_up[0][1] = std::numeric_limits<float>::quiet_NaN();
  gate_up[1][6] = std::numeric_limits<float>::quiet_NaN();
  const torch::Tensor out = swiglu(gate_up);
  const torch::Tensor nan = torch::isnan(out);
  EXPECT_TRUE(nan[0][1].item<bool>());
  EXPECT_TRUE(nan[1][2].item<bool>());
  EXPECT_EQ(nan.sum().item<int64_t>(), 2);
}

}  // namespace
}  // namespace scir
