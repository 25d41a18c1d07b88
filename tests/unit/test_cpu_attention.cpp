#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "scir/core/float_loops.h"
#include "scir/model/attention_mask.h"
#include "scir/model/cpu_attention.h"
#include "scir/model/vector_levels.h"

namespace scir {
namespace {

double max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// A batch of two, the second row's first `padded` keys padding.
void expect_one_pass_equals_the_formula(int64_t past, int64_t steps, int64_t head_dim,
                                        int64_t padded) {
  auto generator = at::detail::createCPUGenerator(11);
  const int64_t batch = 2, heads = 4, kv_heads = 2;
  const torch::Tensor q_base = torch::randn({batch, steps, heads, head_dim}, generator);
  const torch::Tensor k_base = torch::randn({batch, kv_heads, past + steps, head_dim}, generator);
  const torch::Tensor v_base = torch::randn({batch, kv_heads, past + steps, head_dim}, generator);
  torch::Tensor mask = torch::ones({batch, past + steps}, torch::kLong);
  mask[1].narrow(0, 0, padded).zero_();
  for (const int64_t window : {0, 2, 7}) {
    const torch::Tensor bias = attention_bias(mask, past, window, torch::kFloat);
    const torch::Tensor upstream = torch::randn({batch, steps, heads * head_dim}, generator);
    torch::Tensor q = q_base.clone().requires_grad_(true), k = k_base.clone().requires_grad_(true),
                  v = v_base.clone().requires_grad_(true);
    torch::Tensor q_ref = q_base.clone().requires_grad_(true),
                  k_ref = k_base.clone().requires_grad_(true),
                  v_ref = v_base.clone().requires_grad_(true);
    ASSERT_TRUE(one_pass_attention_applies(q.transpose(1, 2), k, v, bias));
    const torch::Tensor out = attention(q.transpose(1, 2), k, v, bias);
    const torch::Tensor out_ref = attention_reference(q_ref.transpose(1, 2), k_ref, v_ref, bias);
    ASSERT_EQ(out.sizes(), out_ref.sizes());
    EXPECT_GT(out_ref.abs().max().item<double>(), 0.1);
    EXPECT_LT(max_difference(out, out_ref), 1e-5) << "window " << window;
    (out * upstream).sum().backward();
    (out_ref * upstream).sum().backward();
    for (const auto& [mine, theirs] :
         {std::pair{q.grad(), q_ref.grad()}, std::pair{k.grad(), k_ref.grad()},
          std::pair{v.grad(), v_ref.grad()}}) {
      EXPECT_GT(theirs.abs().max().item<double>(), 0.05);
      EXPECT_LT(max_difference(mine, theirs), 1e-5) << "window " << window;
    }
    // Without a graph (scoring, generation) the same context.
    torch::NoGradGuard no_grad;
    EXPECT_LT(max_difference(attention(q_base.transpose(1, 2), k_base, v_base, bias), out_ref),
              1e-5);
  }
}

// The one-pass kernel against the operator formula on grouped-query heads (4 query heads on 2
// key heads), with a left-padded row and no sliding window, one of 2 and one of 7: the context, and
// the gradients of q, k and v for a random upstream gradient; q of a [B, T, heads, d] projection
// passed transposed as attention takes it. Two cached positions before three new ones (one key
// chunk, rows not a whole number of tiles), and 37 steps of 16-wide heads (three key chunks,
// tiles that skip some, two head steps). At every vector level this CPU runs (the build's
// baseline, AVX2, AVX-512).
TEST(CpuAttention, OnePassEqualsTheFormulaForwardAndBackward) {
  for (const VectorLevel level : vector_levels_this_cpu_runs()) {
    SCOPED_TRACE(vector_level_name(level));
    pin_vector_level(level);
    expect_one_pass_equals_the_formula(2, 3, 8, 2);
    expect_one_pass_equals_the_formula(0, 37, 16, 5);
  }
  pin_vector_level(std::nullopt);
}

// The padded key of row 1 gets no weight: changing its value leaves the other rows' context as
// it was. A NaN key gives NaN context to the rows that see it, as the formula does (the trainers
// count non-finite steps rather than train on them).
TEST(CpuAttention, HiddenKeysWeighNothingAndNanPropagates) {
  auto generator = at::detail::createCPUGenerator(12);
  const torch::Tensor q = torch::randn({1, 2, 4, 8}, generator);
  torch::Tensor k = torch::randn({1, 1, 4, 8}, generator);
  torch::Tensor v = torch::randn({1, 1, 4, 8}, generator);
  const torch::Tensor mask = torch::tensor({0, 1, 1, 1}).view({1, 4});
  const torch::Tensor bias = attention_bias(mask, 0, 0, torch::kFloat);
  const torch::Tensor before = attention(q, k, v, bias);
  v[0][0][0] += 100.0;
  const torch::Tensor after = attention(q, k, v, bias);
  EXPECT_LT(max_difference(before.narrow(1, 1, 3), after.narrow(1, 1, 3)), 1e-6);
  EXPECT_GT(max_difference(before.narrow(1, 0, 1), after.narrow(1, 0, 1)), 1.0);
  k[0][0][2][3] = std::numeric_limits<float>::quiet_NaN();
  const torch::Tensor poisoned = attention(q, k, v, bias);
  EXPECT_TRUE(torch::isnan(poisoned.narrow(1, 2, 2)).all().item<bool>());
}

// The vectorised exp against std::exp to 2 float32 ulps over the range a softmax uses, exactly 0
// for -inf, NaN for NaN.
TEST(FloatLoops, ExpMatchesTheLibraryWithinTwoUlps) {
  std::vector<float> x;
  for (int i = 0; i <= 200000; ++i) x.push_back(-87.0f + 90.0f * static_cast<float>(i) / 200000);
  x.push_back(-std::numeric_limits<float>::infinity());
  x.push_back(std::numeric_limits<float>::quiet_NaN());
  std::vector<float> y = x;
  exp_in_place(y.data(), static_cast<int64_t>(y.size()));
  double worst = 0;
  for (size_t i = 0; i + 2 < x.size(); ++i) {
    const double exact = std::exp(static_cast<double>(x[i]));
    worst = std::max(worst, std::abs(y[i] - exact) / exact);
  }
  EXPECT_LT(worst, 2 * std::numeric_limits<float>::epsilon());
  EXPECT_EQ(y[x.size() - 2], 0.0f);
  EXPECT_TRUE(std::isnan(y.back()));
}

}  // namespace
}  // namespace scir
