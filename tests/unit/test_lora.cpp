#include <gtest/gtest.h>

#include "input_error.h"
#include "scir/core/errors.h"
#include "scir/model/cpu_decoder.h"
#include "scir/model/lora_adapter.h"
#include "tiny_model.h"

namespace scir {
namespace {

using testing_support::input_error;
using testing_support::random_ids;
using testing_support::tiny_config;
using testing_support::tiny_model;

LoraSettings settings_of(int64_t rank, std::vector<std::string> targets = {}) {
  LoraSettings settings;
  settings.rank = rank;
  settings.alpha = 8;
  if (!targets.empty()) settings.targets = std::move(targets);
  return settings;
}

torch::Tensor logits_of(Transformer& model, const torch::Tensor& ids) {
  return model.forward(ids, torch::ones_like(ids));
}

// B filled with values far from zero, so that the adapter changes the function.
void randomise_b(LoraAdapter& adapter, uint64_t seed) {
  torch::NoGradGuard no_grad;
  auto generator = at::detail::createCPUGenerator(seed);
  for (auto& [name, weight] : adapter.named_weights())
    if (name.find("lora_B") != std::string::npos)
      weight.copy_(at::normal(0.0, 0.3, weight.sizes(), generator));
}

TEST(Lora, ANewAdapterIsTheBaseModelExactly) {
  for (const ModelConfig& config :
       {tiny_config(), testing_support::tiny_config_of("Qwen2ForCausalLM")}) {
    auto model = tiny_model(config);
    const torch::Tensor ids = random_ids(3, 9, config.vocab_size, 5);
    torch::NoGradGuard no_grad;
    const torch::Tensor base = logits_of(*model, ids);
    LoraAdapter adapter(*model, settings_of(4), 1);
    EXPECT_TRUE(model->lora_active());
    EXPECT_TRUE(torch::equal(logits_of(*model, ids), base)) << config.architecture;
  }
}

TEST(Lora, TheAdaptedModelIsItsMergedWeightsAndOffItIsTheBase) {
  auto model = tiny_model();
  const torch::Tensor ids = random_ids(3, 9, 40, 5);
  torch::NoGradGuard no_grad;
  const torch::Tensor base = logits_of(*model, ids);
  {
    LoraAdapter adapter(*model, settings_of(3, {"q", "v", "o", "up", "down"}), 2);
    randomise_b(adapter, 3);
    const torch::Tensor adapted = logits_of(*model, ids);
    EXPECT_GT((adapted - base).abs().max().item<double>(), 0.1);  // the adapter does something
    adapter.set_enabled(false);
    EXPECT_FALSE(model->lora_active());
    EXPECT_TRUE(torch::equal(logits_of(*model, ids), base));
    adapter.set_enabled(true);
    // By hand: W + scale B A, scale = alpha / rank.
    const auto weights = model->named_weights();
    const torch::Tensor expected_q =
        weights.at("model.layers.1.self_attn.q_proj.weight") +
        (8.0 / 3.0) * torch::matmul(adapter.named_weights().at("base_model.model.model.layers.1."
                                                               "self_attn.q_proj.lora_B.weight"),
                                    adapter.named_weights().at("base_model.model.model.layers.1."
                                                               "self_attn.q_proj.lora_A.weight"));
    adapter.merge();
    EXPECT_TRUE(torch::allclose(model->named_weights().at("model.layers.1.self_attn.q_proj.weight"),
                                expected_q, 1e-6, 1e-6));
    EXPECT_TRUE(torch::allclose(logits_of(*model, ids), adapted, 1e-4, 1e-4))
        << (logits_of(*model, ids) - adapted).abs().max().item<double>();
    // Merged, the adapter adds nothing: on or off, the same function.
    const torch::Tensor merged = logits_of(*model, ids);
    adapter.set_enabled(false);
    EXPECT_TRUE(torch::equal(logits_of(*model, ids), merged));
  }
  EXPECT_FALSE(model->lora_active());  // detached with the adapter
}

// The gradients of A and B follow from the gradient G of the loss with respect to the merged
// weight W' = W + s B A: dL/dB = s G A^T and dL/dA = s B^T G.
TEST(Lora, GradientsReachTheAdaptersOnlyAndFollowTheMergedWeightsGradient) {
  auto model = tiny_model();
  const torch::Tensor ids = random_ids(2, 7, 40, 9);
  const std::string module = "model.layers.0.mlp.gate_proj";
  const std::string peft = "base_model.model." + module;
  torch::Tensor a, b, grad_a, grad_b;
  {
    LoraAdapter adapter(*model, settings_of(2, {"gate", "k"}), 4);
    randomise_b(adapter, 6);
    for (const torch::Tensor& p : model->parameters()) EXPECT_FALSE(p.requires_grad());
    logits_of(*model, ids).pow(2).mean().backward();
    for (const torch::Tensor& p : model->parameters()) EXPECT_FALSE(p.grad().defined());
    const auto weights = adapter.named_weights();
    grad_a = weights.at(peft + ".lora_A.weight").grad();
    grad_b = weights.at(peft + ".lora_B.weight").grad();
    ASSERT_TRUE(grad_a.defined() && grad_b.defined());
    a = weights.at(peft + ".lora_A.weight").detach().clone();
    b = weights.at(peft + ".lora_B.weight").detach().clone();
    adapter.merge();
  }  // the adapter gone, the model holds W' and its parameters train again
  for (const torch::Tensor& p : model->parameters()) EXPECT_TRUE(p.requires_grad());
  logits_of(*model, ids).pow(2).mean().backward();
  const torch::Tensor g = model->named_weights().at(module + ".weight").grad();
  const double scale = 8.0 / 2.0;
  EXPECT_TRUE(torch::allclose(grad_b, scale * torch::matmul(g, a.t()), 1e-4, 1e-7));
  EXPECT_TRUE(torch::allclose(grad_a, scale * torch::matmul(b.t(), g), 1e-4, 1e-7));
  EXPECT_GT(grad_a.abs().max().item<double>(), 1e-4);
}

TEST(Lora, TheCpuDecoderStandsAsideWhileAnAdapterIsOn) {
  auto model = tiny_model();
  ASSERT_TRUE(CpuDecoder::supports(*model));
  LoraAdapter adapter(*model, settings_of(2), 1);
  EXPECT_FALSE(CpuDecoder::supports(*model));
  adapter.set_enabled(false);
  EXPECT_TRUE(CpuDecoder::supports(*model));
}

TEST(Lora, ScalesAreAlphaOverRankOrOverItsRoot) {
  LoraSettings settings = settings_of(16);
  EXPECT_DOUBLE_EQ(settings.scale(), 0.5);
  settings.rslora = true;
  EXPECT_DOUBLE_EQ(settings.scale(), 2.0);
}

TEST(Lora, InitialAIsPeftsKaimingUniformAndSeeded) {
  auto model = tiny_model();
  LoraAdapter first(*model, settings_of(4, {"down"}), 11);
  const torch::Tensor a = first.named_weights()
                              .at("base_model.model.model.layers.0.mlp.down_proj.lora_A.weight")
                              .detach()
                              .clone();
  EXPECT_EQ(a.sizes(), (std::vector<int64_t>{4, 24}));
  EXPECT_LE(a.abs().max().item<double>(), 1.0 / std::sqrt(24.0));
  EXPECT_GT(a.abs().max().item<double>(), 0.8 / std::sqrt(24.0));
  EXPECT_EQ(first.named_weights().size(), 4u);  // A and B of down_proj in 2 layers
}

TEST(Lora, BadSettingsAreRefusedByName) {
  auto model = tiny_model();
  // q_proj is 16 x 16, k_proj 8 x 16: rank 9 fits q but not k.
  const auto refusal = [&](const LoraSettings& settings) {
    return input_error([&] { LoraAdapter adapter(*model, settings, 1); });
  };
  EXPECT_EQ(refusal(settings_of(9, {"q", "k"})),
            "LoRA rank 9: above the smaller dimension of self_attn.k_proj (8 x 16)");
  EXPECT_EQ(refusal(settings_of(2, {"q", "lm_head"})),
            "LoRA target 'lm_head': expected some of q, k, v, o, gate, up, down");
  LoraSettings no_alpha = settings_of(2);
  no_alpha.alpha = 0;
  EXPECT_EQ(refusal(no_alpha), "LoRA alpha 0: expected > 0");
  EXPECT_EQ(refusal(settings_of(0)), "LoRA rank 0: expected >= 1");
  for (const torch::Tensor& p : model->parameters()) EXPECT_TRUE(p.requires_grad());
  EXPECT_FALSE(model->lora_active());
}

}  // namespace
}  // namespace scir
