// Activation checkpointing of a decoder layer: the forward keeps only the layer's input (and
// the rotary tables and attention bias it shares with the other layers), not the activations
// inside the layer; the backward runs the layer's forward again with gradients and
// backpropagates through that, so a layer's activations live only while its own backward runs.
// The parameters' gradients come out as from the plain forward: the recomputation is the same
// arithmetic on the same inputs.
#pragma once

#include <torch/torch.h>

#include "scir/model/rotary.h"

namespace scir {

class DecoderLayer;

// layer->forward(input, rotary, bias, no cache, index), checkpointed. Needs gradient mode.
torch::Tensor checkpointed_layer_forward(DecoderLayer& layer, const torch::Tensor& input,
                                         const RotaryTables& rotary, const torch::Tensor& bias,
                                         int64_t index);

}  // namespace scir
