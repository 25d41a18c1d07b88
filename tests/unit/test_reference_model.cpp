// The implicit reward's reference as the base of a LoRA-adapted model (model/reference_model):
// scored with the adapter off, it is the model a separately loaded copy of the base would be;
// and a checkpoint of the adapted model written merged without merging it in memory holds
// what merging it in memory would.
#include <gtest/gtest.h>

#include <filesystem>

#include "scir/core/errors.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/model/precision.h"
#include "scir/model/reference_model.h"
#include "scir/rewards/consistency.h"
#include "scir/tokenizer/byte_tokenizer.h"
#include "tiny_model.h"

namespace scir {
namespace {

namespace fs = std::filesystem;

std::string temp_directory(const std::string& name) {
  const fs::path path = fs::path(::testing::TempDir()) / "scir_reference_model_tests" / name;
  fs::remove_all(path);
  fs::create_directories(path.parent_path());
  return path.string();
}

LoraSettings rank_three() {
  LoraSettings settings;
  settings.rank = 3;
  settings.alpha = 8;
  return settings;
}

// B far from zero, so that the adapter changes the function.
void randomise_b(LoraAdapter& adapter) {
  torch::NoGradGuard no_grad;
  auto generator = at::detail::createCPUGenerator(11);
  for (auto& [name, weight] : adapter.named_weights())
    if (name.find("lora_B") != std::string::npos)
      weight.copy_(at::normal(0.0, 0.3, weight.sizes(), generator));
}

// Pairs of byte-token responses after short prompts, of different lengths.
std::pair<std::vector<PromptResponse>, std::vector<PromptResponse>> pairs_of(int64_t count) {
  std::vector<PromptResponse> first, second;
  for (int64_t i = 0; i < count; ++i) {
    std::vector<int64_t> prompt = {1}, a, b;
    for (int64_t k = 0; k < 2 + i % 3; ++k) prompt.push_back(40 + 7 * i + k);
    for (int64_t k = 0; k < 3 + i % 2; ++k) a.push_back(60 + 5 * k + i);
    for (int64_t k = 0; k < 2 + i % 4; ++k) b.push_back(90 + 3 * k + i);
    first.push_back({prompt, a});
    second.push_back({prompt, b});
  }
  return {first, second};
}

TEST(ReferenceModel, TheBaseWithItsAdapterOffScoresAsASeparatelyLoadedCopy) {
  const ByteTokenizer tokenizer;
  for (const torch::ScalarType dtype : {torch::kFloat, torch::kBFloat16}) {
    ModelConfig config = testing_support::tiny_config();
    config.vocab_size = ByteTokenizer::kVocabSize;
    const std::string directory = temp_directory(cat("base_", c10::toString(dtype)));
    save_hf_model(directory, *testing_support::tiny_model(config), tokenizer, dtype);
    LoadedModel policy = load_hf_model(directory, dtype);
    LoadedModel copy = load_hf_model(directory, dtype);
    LoraAdapter adapter(*policy.model, rank_three(), 5);
    randomise_b(adapter);
    const auto [first, second] = pairs_of(5);
    const int64_t pad = tokenizer.pad_id();
    const auto [policy1, policy2] = paired_response_logprobs(*policy.model, first, second, pad, 2);
    const auto [base1, base2] =
        ReferenceModel::base_of(adapter).paired_logprobs(first, second, pad, 2);
    const auto [copy1, copy2] =
        ReferenceModel::of(*copy.model).paired_logprobs(first, second, pad, 2);
    EXPECT_EQ(base1, copy1) << c10::toString(dtype);
    EXPECT_EQ(base2, copy2) << c10::toString(dtype);
    EXPECT_TRUE(adapter.enabled());  // on again after the reference scored
    double moved = 0;
    for (size_t i = 0; i < first.size(); ++i)
      moved = std::max(moved, std::abs(policy1[i] - copy1[i]));
    EXPECT_GT(moved, 0.01) << "the adapter changed nothing to compare";
    // P_I of the adapted policy against either reference: the same numbers.
    const auto p_irm = [&](const std::vector<double>& ref1, const std::vector<double>& ref2) {
      const torch::Tensor lengths =
          torch::full({static_cast<int64_t>(first.size())}, 3.0, torch::kDouble);
      return to_doubles(torch::sigmoid(
          implicit_reward_margin(from_doubles(policy1), from_doubles(policy2), from_doubles(ref1),
                                 from_doubles(ref2), lengths, lengths, 0.1, false)));
    };
    EXPECT_EQ(p_irm(base1, base2), p_irm(copy1, copy2)) << c10::toString(dtype);
  }
}

TEST(ReferenceModel, NoneHasNothingToScoreWith) {
  const ReferenceModel none;
  EXPECT_FALSE(none.present());
  const auto [first, second] = pairs_of(1);
  EXPECT_THROW(none.paired_logprobs(first, second, 0, 1), InternalError);
}

// A checkpoint written with the adapter merged on the way out equals, bit for bit, the one
// written after merging in memory, in float32 and bfloat16; the model in memory stays unmerged.
TEST(ReferenceModel, ACheckpointMergedOnTheWayOutIsTheMergedModel) {
  const ByteTokenizer tokenizer;
  for (const torch::ScalarType dtype : {torch::kFloat, torch::kBFloat16}) {
    ModelConfig config = testing_support::tiny_config();
    config.vocab_size = ByteTokenizer::kVocabSize;
    auto model = testing_support::tiny_model(config, dtype);
    const auto before = model->named_weights();
    std::map<std::string, torch::Tensor> original;
    for (const auto& [name, weight] : before) original[name] = weight.clone();
    LoraAdapter adapter(*model, rank_three(), 5);
    randomise_b(adapter);
    const std::string on_the_way = temp_directory(cat("on_the_way_", c10::toString(dtype)));
    const std::string in_memory = temp_directory(cat("in_memory_", c10::toString(dtype)));
    save_hf_model(on_the_way, *model, tokenizer, dtype, 0, &adapter);
    for (const auto& [name, weight] : model->named_weights())
      EXPECT_TRUE(torch::equal(weight, original.at(name))) << name;  // still unmerged
    const torch::Tensor q = model->named_weights().at("model.layers.0.self_attn.q_proj.weight");
    const torch::Tensor norm = model->named_weights().at("model.norm.weight");
    EXPECT_TRUE(adapter.merged_weight("model.norm.weight", norm).is_same(norm));
    const torch::Tensor merged_q =
        adapter.merged_weight("model.layers.0.self_attn.q_proj.weight", q);
    adapter.merge();
    EXPECT_TRUE(torch::equal(merged_q,
                             model->named_weights().at("model.layers.0.self_attn.q_proj.weight")));
    save_hf_model(in_memory, *model, tokenizer, dtype);
    const auto read = load_hf_model(on_the_way, dtype).model->named_weights();
    bool changed = false;
    for (const auto& [name, weight] : load_hf_model(in_memory, dtype).model->named_weights()) {
      EXPECT_TRUE(torch::equal(read.at(name), weight)) << c10::toString(dtype) << " " << name;
      changed = changed || !torch::equal(weight, original.at(name));
    }
    EXPECT_TRUE(changed);
  }
}

}  // namespace
}  // namespace scir
