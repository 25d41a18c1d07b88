#include "scir/perf/decode_traffic.h"

#include "scir/perf/model_flops.h"

namespace scir {

double decode_weight_bytes(const ModelConfig& config, int64_t element_bytes) {
  return static_cast<double>(multiplying_parameters(config)) * static_cast<double>(element_bytes);
}

double decode_cache_bytes(const ModelConfig& config, int64_t element_bytes, int64_t context) {
  return 2.0 * static_cast<double>(config.num_hidden_layers) *
         static_cast<double>(config.num_key_value_heads) * static_cast<double>(config.head_dim) *
         static_cast<double>(context) * static_cast<double>(element_bytes);
}

}  // namespace scir
