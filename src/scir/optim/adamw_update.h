// One step of PyTorch's AdamW rule (decoupled weight decay, bias-corrected moments) on one
// tensor, with the gradient first multiplied by `grad_scale` (the clipping coefficient, so
// clipping needs no pass of its own). Both optimisers (train/data_parallel_optimizer's and
// ZeRO-1's dist/sharded_adamw) step through it.
#pragma once

#include <torch/torch.h>

namespace scir {

struct AdamWSettings {
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

// Updates `weights`, `m` and `v` in place from `grad` (all the same shape and dtype); `step` is
// 1 on the first update (the bias corrections). Contiguous float32 tensors on the CPU take one
// pass over the four arrays; anything else LibTorch's operators, in torch::optim::AdamW's order.
void adamw_update(torch::Tensor weights, const torch::Tensor& grad, torch::Tensor m,
                  torch::Tensor v, const AdamWSettings& settings, int64_t step, double grad_scale);

}  // namespace scir
