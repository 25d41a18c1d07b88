// Megatron-style tensor parallelism: the communication steps between the slices a rank holds.
// Column-parallel layers (q/k/v, gate/up, the vocabulary rows of the embedding and the head)
// take a replicated input through copy_to_tensor_parallel (identity forward, gradients summed
// over the group backward); row-parallel layers (o, down) and the vocabulary-parallel embedding
// end in reduce_from_tensor_parallel (a sum over the group forward, identity backward); the
// head's slices of the logits are joined by gather_last_dim (its backward keeps this rank's
// slice). Transformer::shard_tensor_parallel cuts a full model into a rank's slices.
#pragma once

#include <map>
#include <string>

#include <torch/torch.h>

#include "scir/dist/comm.h"
#include "scir/model/model_config.h"

namespace scir {

torch::Tensor copy_to_tensor_parallel(const torch::Tensor& x, Comm& group);
torch::Tensor reduce_from_tensor_parallel(const torch::Tensor& x, Comm& group);
torch::Tensor gather_last_dim(const torch::Tensor& x, Comm& group);

// How a parameter named `name` (Hugging Face names) is cut: 0 by rows, 1 by columns, -1 not
// at all (norms). A LoRA adapter's factors (PEFT's names, "...q_proj.lora_A.weight") are cut with
// the matrix they adapt: a row-cut projection's B by rows (its A whole), a column-cut one's A by
// columns (its B whole), so that B_slice A or B A_slice is the product's slice.
int tensor_parallel_split_dim(const std::string& name);

// This rank's slice of `whole` cut along `dim` into the group's equal parts (a new tensor).
torch::Tensor tensor_parallel_slice(const torch::Tensor& whole, int dim, Comm& group);
// The whole tensor from every rank's `slice` along `dim` (collective over the group).
torch::Tensor gather_tensor_parallel_slices(const torch::Tensor& slice, int dim, Comm& group);
// Each of `slices` (by name) whole: gathered along tensor_parallel_split_dim(name), or kept where
// that is -1 (collective over the group).
std::map<std::string, torch::Tensor> gather_tensor_parallel_weights(
    std::map<std::string, torch::Tensor> slices, Comm& group);

// The first dimension that tensor parallelism cuts (heads, key-value heads, MLP width,
// vocabulary) which `parts` does not divide, as "name (extent)"; empty when all divide.
std::string indivisible_dimension(const ModelConfig& config, int64_t parts);

}  // namespace scir
