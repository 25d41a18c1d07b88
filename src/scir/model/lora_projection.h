// One projection adapted by LoRA (Hu et al., 2021, "LoRA: Low-Rank Adaptation of Large Language
// Models"): y = W x + scale * B (A x), with A [rank, in] and B [out, rank] trained while W stays
// frozen. The transformer's layers hold a pointer to each of their adapted projections
// (model/lora_adapter attaches them) and add the adapter's term to the base product.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>

#include "scir/dist/comm.h"

namespace scir {

struct LoraProjection {
  torch::Tensor a, b;             // [rank, in], [out, rank]; float32 whatever the model's dtype
  double scale = 0;               // alpha / rank, or alpha / sqrt(rank) (rsLoRA)
  const bool* enabled = nullptr;  // the adapter's switch: off, the base model alone
  // Under tensor parallelism (model/tensor_parallel.h) the factors are cut with the projection:
  // a row-cut (column-parallel) projection holds B's rows and A whole, a column-cut
  // (row-parallel) one A's columns and B whole. The whole factor's gradient is a sum of every
  // rank's part, so it enters through copy_to_tensor_parallel. nullptr: not cut.
  Comm* group = nullptr;
  bool rows_cut = false;  // B cut by rows and A whole; else A cut by columns and B whole
};

// A layer's adapted projections by module name ("q_proj", "gate_proj", ...).
using LoraProjections = std::map<std::string, const LoraProjection*>;

// The adapter's term scale * B (A x) of projection `name`, computed in the adapter's float32
// and rounded once to `dtype`; undefined when `name` is not adapted or the adapter is off.
torch::Tensor lora_term(const torch::Tensor& x, const LoraProjections& projections,
                        const std::string& name, torch::ScalarType dtype);

// `base` (the projection W x of `x`) plus lora_term, if any.
torch::Tensor add_lora(const torch::Tensor& base, const torch::Tensor& x,
                       const LoraProjections& projections, const std::string& name);

// Whether any projection of the layer is adapted and on.
bool lora_active(const LoraProjections& projections);

}  // namespace scir
