#include <gtest/gtest.h>

#include <cmath>

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
  const RotaryTables tables = rotary_tables(positions, 8, RopeSettings{});
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

// Llama 3.1's frequencies (head_dim 128, theta 500000, factor 8, low 1, high 4, context 8192):
// each against the rule written out per frequency, and some against the values transformers
// 5.24 computes.
TEST(Rotary, Llama3FrequenciesStretchLongWavelengthsAndBlendTheMiddle) {
  RopeSettings rope;
  rope.theta = 500000.0;
  rope.kind = RopeSettings::Kind::kLlama3;
  const torch::Tensor got = rope_inverse_frequencies(128, rope);
  ASSERT_EQ(got.numel(), 64);
  int stretched = 0, kept = 0, blended = 0;
  for (int i = 0; i < 64; ++i) {
    const double base = std::pow(500000.0, -2.0 * i / 128);
    const double wavelength = 2 * M_PI / base;
    double want = base;
    if (wavelength > 8192.0) {
      want = base / 8, ++stretched;
    } else if (wavelength < 8192.0 / 4) {
      ++kept;
    } else {
      const double smooth = (8192.0 / wavelength - 1) / (4 - 1);
      want = (1 - smooth) * base / 8 + smooth * base, ++blended;
    }
    EXPECT_NEAR(got[i].item<double>(), want, 2e-6 * want) << i;
  }
  EXPECT_GT(stretched, 0);
  EXPECT_GT(kept, 0);
  EXPECT_GT(blended, 0);
  // From transformers 5.24 (ROPE_INIT_FUNCTIONS["llama3"] of this configuration, float32).
  const std::pair<int, double> reference[] = {{0, 1.0},
                                              {20, 0.016560440883040428},
                                              {30, 0.0013718936825171113},
                                              {40, 3.428102354519069e-05},
                                              {45, 1.2297638932068367e-05},
                                              {50, 4.411534519022098e-06},
                                              {63, 3.068925877869333e-07}};
  for (const auto& [i, want] : reference)
    EXPECT_NEAR(got[i].item<double>(), want, 2e-6 * want) << i;
  // The default rope type is the plain theta^(-2i/d).
  rope.kind = RopeSettings::Kind::kDefault;
  EXPECT_NEAR(rope_inverse_frequencies(128, rope)[63].item<double>(),
              std::pow(500000.0, -126.0 / 128), 1e-12);
}

}  // namespace
}  // namespace scir
