// Activation checkpointing: the same loss and the same parameter gradients as the plain
// forward (the layers recomputed in the backward do the same arithmetic), for padded batches,
// a sliding window and Qwen3's head norms; and no change without gradients.
#include <gtest/gtest.h>

#include "scir/model/sequence_logprobs.h"
#include "tiny_model.h"

namespace scir {
namespace {

// The loss of a padded batch (response log-probs, the ones a DPO or SFT step uses) and every
// parameter's gradient.
std::pair<double, std::map<std::string, torch::Tensor>> loss_and_gradients(Transformer& model,
                                                                           bool checkpointing) {
  model.set_activation_checkpointing(checkpointing);
  model.zero_grad();
  const std::vector<PromptResponse> batch = {
      {{1, 5, 6, 7}, {8, 9, 2}}, {{1, 3}, {4, 11, 12, 13, 2}}, {{1, 20, 21, 22, 23}, {24, 2}}};
  const ResponseLogProbs scored = response_logprobs(model, batch, 0);
  const torch::Tensor loss = -(scored.sum * torch::tensor({1.0f, -0.5f, 2.0f})).sum();
  loss.backward();
  std::map<std::string, torch::Tensor> gradients;
  for (const auto& item : model.named_parameters())
    gradients[item.key()] = item.value().grad().clone();
  return {loss.item<double>(), gradients};
}

void expect_same_gradients(const ModelConfig& config) {
  auto model = testing_support::tiny_model(config);
  const auto [plain_loss, plain] = loss_and_gradients(*model, false);
  const auto [loss, checkpointed] = loss_and_gradients(*model, true);
  EXPECT_EQ(loss, plain_loss);
  ASSERT_EQ(checkpointed.size(), plain.size());
  for (const auto& [name, gradient] : plain) {
    ASSERT_TRUE(checkpointed.at(name).defined()) << name;
    const double scale = gradient.abs().max().item<double>();
    EXPECT_GT(scale, 0) << name;  // every parameter learns, in the checkpointed layers too
    EXPECT_LE((checkpointed.at(name) - gradient).abs().max().item<double>(), 1e-6 * scale) << name;
  }
}

TEST(ActivationCheckpoint, GradientsEqualThePlainBackward) {
  expect_same_gradients(testing_support::tiny_config());
  expect_same_gradients(testing_support::tiny_config(/*tied=*/true, /*sliding_window=*/3));
  expect_same_gradients(testing_support::tiny_config_of("Qwen3ForCausalLM"));
}

TEST(ActivationCheckpoint, WithoutGradientsTheForwardIsThePlainOne) {
  auto model = testing_support::tiny_model();
  const torch::Tensor ids = torch::tensor({{1, 5, 6, 7}}, torch::kLong);
  const torch::Tensor mask = torch::ones({1, 4}, torch::kLong);
  torch::NoGradGuard no_grad;
  const torch::Tensor plain = model->forward(ids, mask);
  model->set_activation_checkpointing(true);
  EXPECT_TRUE(torch::equal(model->forward(ids, mask), plain));
}

}  // namespace
}  // namespace scir
