// The least memory a decoding step reads, for generation's memory-bandwidth bound: every weight
// that multiplies (perf/model_flops' N), once for the whole batch, and each row's key-value cache
// over the positions it attends to. A step of B rows then runs at most bandwidth / bytes times a
// second, B tokens each. The activations, the embedding's rows and the logits it also touches
// are small beside these at the shapes that matter and are not counted, so the bound is an
// upper one.
#pragma once

#include <cstdint>

#include "scir/model/model_config.h"

namespace scir {

// N x element size: the multiplying weights, read once a step whatever the batch.
double decode_weight_bytes(const ModelConfig& config, int64_t element_bytes);

// One row's key-value cache over `context` positions: 2 (keys and values) x layers x key-value
// heads x head_dim x context x element size.
double decode_cache_bytes(const ModelConfig& config, int64_t element_bytes, int64_t context);

}  // namespace scir
