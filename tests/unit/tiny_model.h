// Small random models for the model-core tests.
#pragma once

#include "scir/model/transformer.h"

namespace scir::testing_support {

// 2 layers, 4 query heads sharing 2 key/value heads (GQA), vocabulary 40.
inline ModelConfig tiny_config(bool tied = false, int64_t sliding_window = 0) {
  ModelConfig config;
  config.architecture = sliding_window > 0 ? "MistralForCausalLM" : "LlamaForCausalLM";
  config.hidden_size = 16;
  config.intermediate_size = 24;
  config.num_hidden_layers = 2;
  config.num_attention_heads = 4;
  config.num_key_value_heads = 2;
  config.head_dim = 4;
  config.vocab_size = 40;
  config.max_position_embeddings = 64;
  config.tie_word_embeddings = tied;
  config.sliding_window = sliding_window;
  config.bos_token_id = 1;
  config.eos_token_id = 2;
  return config;
}

// tiny_config in another architecture's form: Qwen2ForCausalLM or Qwen3ForCausalLM.
inline ModelConfig tiny_config_of(const std::string& architecture, bool tied = false) {
  ModelConfig config = tiny_config(tied);
  config.architecture = architecture;
  return config;
}

inline std::shared_ptr<Transformer> tiny_model(ModelConfig config = tiny_config(),
                                               torch::ScalarType dtype = torch::kFloat,
                                               uint64_t seed = 7) {
  auto model = std::make_shared<Transformer>(config, dtype);
  model->init_weights(seed);
  // Larger weights than the 0.02 default, so attention patterns are far from uniform and the
  // comparisons below have something to detect.
  torch::NoGradGuard no_grad;
  auto generator = at::detail::createCPUGenerator(seed + 1);
  for (auto& [name, weight] : model->named_weights()) {
    if (weight.dim() == 2) weight.mul_(15.0);
    // Qwen2's biases start at zero and Qwen3's head norms at one: make both matter.
    if (name.find("_proj.bias") != std::string::npos)
      weight.copy_(at::normal(0.0, 0.5, weight.sizes(), generator));
    if (name.find("q_norm") != std::string::npos || name.find("k_norm") != std::string::npos)
      weight.copy_(at::normal(1.0, 0.3, weight.sizes(), generator));
  }
  return model;
}

// Mistral-7B's shape (7,241,732,096 parameters), for the memory plan and the GPU's 7B step.
inline ModelConfig mistral_7b_config() {
  ModelConfig config;
  config.architecture = "MistralForCausalLM";
  config.hidden_size = 4096;
  config.intermediate_size = 14336;
  config.num_hidden_layers = 32;
  config.num_attention_heads = 32;
  config.num_key_value_heads = 8;
  config.head_dim = 128;
  config.vocab_size = 32000;
  return config;
}

inline torch::Tensor random_ids(int64_t rows, int64_t length, int64_t vocab, uint64_t seed) {
  auto generator = at::detail::createCPUGenerator(seed);
  return torch::randint(3, vocab, {rows, length}, generator, torch::kLong);
}

}  // namespace scir::testing_support
