// Model FLOPs, the numerator of MFU, counted as PaLM's appendix B does (Chowdhery et al. 2022):
// 2 FLOPs a token for each parameter that multiplies (all but the input embedding) and, for
// each layer, attention's two products, scores Q K^T and the weighted sum of V, 2 T d each a
// token (T the positions a token attends over, d = heads x head_dim). A backward costs twice
// its forward. Padding is not counted: only the sequences' own tokens.
#pragma once

#include <cstdint>

#include "scir/model/model_config.h"

namespace scir {

// N of the count: the parameters that multiply (the lm head counted, the input embedding not).
int64_t multiplying_parameters(const ModelConfig& config);

// One forward over a sequence of `tokens` tokens (every token attends over the whole
// sequence, as the masked product computes it): 2 N T + 4 L d T^2.
double sequence_forward_flops(const ModelConfig& config, int64_t tokens);

// Forward + backward over that sequence: three times its forward.
double sequence_training_flops(const ModelConfig& config, int64_t tokens);

// One decoding step with a KV cache, the new token attending over `context` positions (itself
// included): 2 N + 4 L d context.
double decode_step_flops(const ModelConfig& config, int64_t context);

}  // namespace scir
