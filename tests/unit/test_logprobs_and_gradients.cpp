#include <gtest/gtest.h>

#include "scir/model/sequence_logprobs.h"
#include "tiny_model.h"

namespace scir {
namespace {

using testing_support::tiny_config;
using testing_support::tiny_model;

std::vector<PromptResponse> sample_batch() {
  return {{{1, 5, 6, 7}, {8, 9, 10}}, {{1, 11}, {12, 13, 14, 15, 2}}, {{1, 20, 21}, {}}};
}

TEST(ResponseLogProbs, EqualManualSumOverResponseTokens) {
  torch::NoGradGuard no_grad;
  auto model = tiny_model();
  const auto batch = sample_batch();
  const ResponseLogProbs result = response_logprobs(*model, batch, /*pad_id=*/0);
  ASSERT_EQ(result.sum.sizes(), (std::vector<int64_t>{3}));
  EXPECT_EQ(result.lengths, (std::vector<int64_t>{3, 5, 0}));
  for (size_t b = 0; b < batch.size(); ++b) {
    std::vector<int64_t> sequence = batch[b].prompt;
    sequence.insert(sequence.end(), batch[b].response.begin(), batch[b].response.end());
    const int64_t length = sequence.size();
    const torch::Tensor ids = torch::tensor(sequence, torch::kLong).unsqueeze(0);
    const torch::Tensor log_probs =
        torch::log_softmax(model->forward(ids, torch::ones({1, length}, torch::kLong)), -1)[0];
    double manual = 0;
    for (size_t k = 0; k < batch[b].response.size(); ++k) {
      const int64_t position = batch[b].prompt.size() + k;
      const double token = log_probs[position - 1][sequence[position]].item<double>();
      EXPECT_NEAR(result.token_logps[b][k].item<double>(), token, 1e-5);
      manual += token;
    }
    EXPECT_NEAR(result.sum[b].item<double>(), manual, 1e-5);
  }
  EXPECT_EQ(result.sum[2].item<double>(), 0.0);             // empty response
  EXPECT_EQ(result.token_logps[0][4].item<double>(), 0.0);  // past the end of response 0
}

// d(sum of response log-probs)/d(weight) against central differences, in float64.
TEST(ResponseLogProbs, GradientsMatchFiniteDifferences) {
  for (bool tied : {false, true}) {
    auto model = tiny_model(tiny_config(tied), torch::kDouble);
    for (auto& [name, weight] : model->named_weights()) weight.mutable_grad() = torch::Tensor();
    const auto batch = sample_batch();
    response_logprobs(*model, batch, 0).sum.sum().backward();
    const auto weights = model->named_weights();
    int checked = 0;
    for (const char* name :
         {"model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.weight",
          "model.layers.1.self_attn.k_proj.weight", "model.layers.0.self_attn.v_proj.weight",
          "model.layers.1.mlp.gate_proj.weight", "model.layers.0.mlp.down_proj.weight",
          "model.layers.1.input_layernorm.weight", "model.norm.weight", "lm_head.weight"}) {
      if (!weights.count(name)) continue;
      torch::Tensor weight = weights.at(name);
      const torch::Tensor analytic = weight.grad();
      ASSERT_TRUE(analytic.defined()) << name;
      torch::NoGradGuard no_grad;
      auto flat = weight.view({-1});
      for (int64_t index : {int64_t{0}, flat.numel() / 3, flat.numel() - 1}) {
        const double original = flat[index].item<double>();
        const double step = 1e-6;
        flat[index] = original + step;
        const double up = response_logprobs(*model, batch, 0).sum.sum().item<double>();
        flat[index] = original - step;
        const double down = response_logprobs(*model, batch, 0).sum.sum().item<double>();
        flat[index] = original;
        const double numeric = (up - down) / (2 * step);
        const double exact = analytic.view({-1})[index].item<double>();
        EXPECT_NEAR(exact, numeric, 1e-6 * std::max(1.0, std::abs(numeric)))
            << name << "[" << index << "]";
        ++checked;
      }
    }
    EXPECT_GE(checked, 24);
  }
}

}  // namespace
}  // namespace scir
