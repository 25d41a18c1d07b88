#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "input_error.h"
#include "scir/io/peft_adapter.h"
#include "scir/io/safetensors.h"
#include "tiny_model.h"

namespace scir {
namespace {

namespace fs = std::filesystem;
using testing_support::input_error;
using testing_support::random_ids;
using testing_support::tiny_model;

class PeftAdapter : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("scir_peft_" + std::to_string(getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // An adapter of rank 2 on q, v and down with B far from zero, written to DIR/adapter; returns
  // the adapted model's logits on `ids`.
  torch::Tensor write_adapter(const torch::Tensor& ids, bool rslora = false) {
    auto model = tiny_model();
    LoraSettings settings;
    settings.rank = 2;
    settings.alpha = 6;
    settings.rslora = rslora;
    settings.targets = {"q", "v", "down"};
    LoraAdapter adapter(*model, settings, 3);
    torch::NoGradGuard no_grad;
    auto generator = at::detail::createCPUGenerator(4);
    for (auto& [name, weight] : adapter.named_weights())
      if (name.find("lora_B") != std::string::npos)
        weight.copy_(at::normal(0.0, 0.3, weight.sizes(), generator));
    save_peft_adapter(path("adapter"), adapter, "tiny");
    return model->forward(ids, torch::ones_like(ids));
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  nlohmann::json config() const {
    std::ifstream in(dir_ / "adapter" / "adapter_config.json");
    return nlohmann::json::parse(in);
  }
  void write_config(const nlohmann::json& json) const {
    std::ofstream(dir_ / "adapter" / "adapter_config.json") << json.dump();
  }
  fs::path dir_;
};

TEST_F(PeftAdapter, WrittenInPeftsLayoutAndMergedBackToTheSameFunction) {
  for (bool rslora : {false, true}) {
    const torch::Tensor ids = random_ids(2, 8, 40, 1);
    const torch::Tensor adapted = write_adapter(ids, rslora);
    const nlohmann::json written = config();
    EXPECT_EQ(written.at("peft_type"), "LORA");
    EXPECT_EQ(written.at("r"), 2);
    EXPECT_EQ(written.at("lora_alpha"), 6.0);
    EXPECT_EQ(written.at("use_rslora"), rslora);
    EXPECT_EQ(written.at("target_modules"), nlohmann::json({"q_proj", "v_proj", "down_proj"}));
    const auto shapes = check_safetensors(path("adapter/adapter_model.safetensors"));
    EXPECT_EQ(shapes.size(), 12u);  // A and B of 3 modules in 2 layers
    EXPECT_EQ(shapes.at("base_model.model.model.layers.1.mlp.down_proj.lora_A.weight"),
              (std::vector<int64_t>{2, 24}));
    EXPECT_EQ(shapes.at("base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight"),
              (std::vector<int64_t>{8, 2}));
    auto model = tiny_model();  // the same base
    merge_peft_adapter(*model, path("adapter"));
    EXPECT_FALSE(model->lora_active());
    torch::NoGradGuard no_grad;
    const torch::Tensor merged = model->forward(ids, torch::ones_like(ids));
    EXPECT_TRUE(torch::allclose(merged, adapted, 1e-4, 1e-4)) << rslora;
    EXPECT_GT(
        (merged - tiny_model()->forward(ids, torch::ones_like(ids))).abs().max().item<double>(),
        0.1);
  }
}

TEST_F(PeftAdapter, FeaturesNotImplementedAreRefusedByName) {
  write_adapter(random_ids(1, 3, 40, 1));
  const std::string file = path("adapter/adapter_config.json");
  const auto refusal = [&](const char* field, const nlohmann::json& value) {
    nlohmann::json changed = config();
    changed[field] = value;
    write_config(changed);
    auto model = tiny_model();
    const std::string message = input_error([&] { merge_peft_adapter(*model, path("adapter")); });
    return message;
  };
  const nlohmann::json original = config();
  EXPECT_EQ(refusal("peft_type", "IA3"),
            file +
                ": field 'peft_type' is \"IA3\", expected \"LORA\" (other PEFT methods are not "
                "implemented)");
  write_config(original);
  EXPECT_EQ(refusal("use_dora", true), file + ": field 'use_dora': DoRA is not implemented");
  write_config(original);
  EXPECT_EQ(refusal("bias", "lora_only"),
            file +
                ": field 'bias' is \"lora_only\": trained biases are not implemented "
                "(expected \"none\")");
  write_config(original);
  EXPECT_EQ(refusal("modules_to_save", {"lm_head"}),
            file +
                ": field 'modules_to_save': modules_to_save (fully trained modules beside the "
                "adapter) is not implemented");
  write_config(original);
  EXPECT_EQ(refusal("r", 0), file + ": field 'r' is 0, expected an integer >= 1");
  write_config(original);
  EXPECT_EQ(refusal("lora_alpha", -1), file + ": field 'lora_alpha' is -1, expected a number > 0");
  write_config(original);
  EXPECT_EQ(refusal("target_modules", "q_proj|v_proj"),
            file +
                ": field 'target_modules' is \"q_proj|v_proj\", expected a list of module names "
                "such as [\"q_proj\", \"v_proj\"] (a regular expression is not implemented)");
  write_config(original);
  EXPECT_EQ(refusal("target_modules", {"q_proj", "lm_head"}),
            file +
                ": field 'target_modules': \"lm_head\" is not one of q_proj, k_proj, v_proj, "
                "o_proj, gate_proj, up_proj, down_proj");
  write_config(original);
  EXPECT_EQ(refusal("use_rslora", "yes"),
            file + ": field 'use_rslora' is \"yes\", expected true or false");
  write_config(original);
  // A rank above a target's dimension (v_proj is 8 x 16) and weights of another rank.
  EXPECT_EQ(refusal("r", 9),
            file + ": LoRA rank 9: above the smaller dimension of self_attn.v_proj (8 x 16)");
  write_config(original);
  EXPECT_EQ(refusal("r", 3), path("adapter/adapter_model.safetensors") +
                                 ": base_model.model.model.layers.0.mlp.down_proj.lora_A.weight "
                                 "has shape [2, 24], expected [3, 24] for this model and rank");
  write_config(original);
  // Fewer targets than the weights adapt: a tensor the model's adapter does not have.
  EXPECT_EQ(refusal("target_modules", {"q_proj", "v_proj"}),
            path("adapter/adapter_model.safetensors") +
                ": tensor base_model.model.model.layers.0.mlp.down_proj.lora_A.weight adapts no "
                "projection of the model with these targets");
}

TEST_F(PeftAdapter, AMissingOrBrokenDirectoryIsNamed) {
  auto model = tiny_model();
  EXPECT_EQ(input_error([&] { merge_peft_adapter(*model, path("none")); }),
            path("none") + ": not an adapter directory");
  fs::create_directories(path("empty"));
  EXPECT_EQ(input_error([&] { merge_peft_adapter(*model, path("empty")); }),
            path("empty/adapter_config.json") + ": cannot be read (a PEFT adapter has one)");
  write_adapter(random_ids(1, 3, 40, 1));
  fs::remove(path("adapter/adapter_model.safetensors"));
  EXPECT_EQ(input_error([&] { merge_peft_adapter(*model, path("adapter")); }),
            path("adapter/adapter_model.safetensors") +
                ": missing (adapter_model.bin is not read: safetensors only)");
}

}  // namespace
}  // namespace scir
