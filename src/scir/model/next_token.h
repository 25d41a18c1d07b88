// The model's logits for the token after each prompt (a judge's verdict, a score), in one
// right-padded forward. Differentiable when gradients are on.
#pragma once

#include <vector>

#include "scir/model/transformer.h"

namespace scir {

// [B, vocab] at each prompt's last position.
torch::Tensor next_token_logits(Transformer& model,
                                const std::vector<std::vector<int64_t>>& prompts, int64_t pad_id);

}  // namespace scir
