// SwiGLU's gate, silu(gate) * up, on the output of the fused gate/up projection: the last
// dimension holds the gate's values and then the up projection's, so one matrix product serves
// both. For float32 on the CPU it is one pass forward and one backward at the CPU's vector level
// (model/vector_levels, exponentials through float_loops' vectorised exp), the backward writing
// the fused gradient directly; LibTorch's operators take silu, a product, three passes backward
// and a copy to join the two halves' gradients. Any other dtype or device takes the operators.
#pragma once

#include <torch/torch.h>

namespace scir {

// [..., 2 I] (gate, up) -> [..., I].
torch::Tensor swiglu(const torch::Tensor& gate_up);

// The operator formula (the reference the one-pass version is tested against).
torch::Tensor swiglu_reference(const torch::Tensor& gate_up);

}  // namespace scir
