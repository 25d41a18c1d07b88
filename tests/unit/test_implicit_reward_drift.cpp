// The implicit reward with pi_theta = pi_ref must be zero whatever batches the two log-probs
// were computed in (the reference's come from the reference phase's batches, the policy's from
// the training step's): a sequence's log-probs alone, in a padded batch and in another order,
// in float32, bfloat16 and float16 (whose CPU products run in float32 for this). With the OpenBLAS
// kernel scir_hpc picks they are equal; the Haswell and Prescott kernels' sgemm rounds a row
// differently as the rows around it change, by 3.8e-6 of a 26-nat sum (1.5e-7 relative; bfloat16
// 0). Bound: 1e-5 relative. Before bfloat16 products ran in float32 it drifted by 2e-3.
#include <gtest/gtest.h>

#include "scir/model/sequence_logprobs.h"
#include "tiny_model.h"

namespace scir {
namespace {

using testing_support::tiny_config;
using testing_support::tiny_model;

// Six sequences whose prompts grow as their responses shrink: every batch of them is padded.
std::vector<PromptResponse> sequences() {
  std::vector<PromptResponse> out;
  for (int64_t i = 0; i < 6; ++i) {
    PromptResponse sequence{{1}, {}};
    for (int64_t k = 0; k < 3 + 2 * i; ++k) sequence.prompt.push_back(3 + (5 * i + 3 * k) % 30);
    for (int64_t k = 0; k < 9 - i; ++k) sequence.response.push_back(4 + (7 * i + k) % 33);
    out.push_back(sequence);
  }
  return out;
}

TEST(ImplicitRewardDrift, LogProbsDoNotDependOnTheBatch) {
  for (const torch::ScalarType dtype : {torch::kFloat, torch::kBFloat16, torch::kHalf}) {
    SCOPED_TRACE(c10::toString(dtype));
    auto model = tiny_model(tiny_config(), dtype);
    const std::vector<PromptResponse> all = sequences();
    const torch::Tensor together = response_logprobs(*model, all, 0).sum;
    const std::vector<PromptResponse> reversed(all.rbegin(), all.rend());
    const torch::Tensor backwards = response_logprobs(*model, reversed, 0).sum;
    for (size_t i = 0; i < all.size(); ++i) {
      const double alone = response_logprobs(*model, {all[i]}, 0).sum.item<double>();
      EXPECT_NEAR(together[i].item<double>(), alone, 1e-5 * std::abs(alone)) << i;
      EXPECT_NEAR(backwards[all.size() - 1 - i].item<double>(), alone, 1e-5 * std::abs(alone)) << i;
    }
  }
}

}  // namespace
}  // namespace scir
