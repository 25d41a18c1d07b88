#include "scir/perf/model_flops.h"

namespace scir {
namespace {

// 4 L d: the FLOPs of attention's two products a token and attended position, over all layers.
double attention_flops_per_position(const ModelConfig& config) {
  return 4.0 * static_cast<double>(config.num_hidden_layers * config.num_attention_heads *
                                   config.head_dim);
}

}  // namespace

int64_t multiplying_parameters(const ModelConfig& config) {
  // A tied head multiplies with the embedding's one copy, so nothing is left out then.
  const int64_t lookup_only =
      config.tie_word_embeddings ? 0 : config.vocab_size * config.hidden_size;
  return config.parameter_count() - lookup_only;
}

double sequence_forward_flops(const ModelConfig& config, int64_t tokens) {
  const double t = static_cast<double>(tokens);
  return 2.0 * static_cast<double>(multiplying_parameters(config)) * t +
         attention_flops_per_position(config) * t * t;
}

double sequence_training_flops(const ModelConfig& config, int64_t tokens) {
  return 3.0 * sequence_forward_flops(config, tokens);
}

double decode_step_flops(const ModelConfig& config, int64_t context) {
  return 2.0 * static_cast<double>(multiplying_parameters(config)) +
         attention_flops_per_position(config) * static_cast<double>(context);
}

}  // namespace scir
