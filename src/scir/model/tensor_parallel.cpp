#include "scir/model/tensor_parallel.h"

#include "scir/core/errors.h"

namespace scir {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

Comm& group_of(AutogradContext* ctx) {
  return *reinterpret_cast<Comm*>(ctx->saved_data["group"].toInt());
}

int64_t handle_of(Comm& group) { return reinterpret_cast<int64_t>(&group); }

struct CopyToGroup : torch::autograd::Function<CopyToGroup> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, int64_t group) {
    ctx->saved_data["group"] = group;
    return x.clone();
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    torch::Tensor summed = grads[0].contiguous().clone();
    group_of(ctx).all_reduce(summed, ReduceOp::kSum);
    return {summed, torch::Tensor()};
  }
};

struct ReduceFromGroup : torch::autograd::Function<ReduceFromGroup> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, int64_t group) {
    ctx->saved_data["group"] = group;
    torch::Tensor summed = x.contiguous().clone();
    reinterpret_cast<Comm*>(group)->all_reduce(summed, ReduceOp::kSum);
    return summed;
  }
  static variable_list backward(AutogradContext*, variable_list grads) {
    return {grads[0], torch::Tensor()};
  }
};

struct GatherLastDim : torch::autograd::Function<GatherLastDim> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, int64_t group) {
    Comm& comm = *reinterpret_cast<Comm*>(group);
    ctx->saved_data["group"] = group;
    ctx->saved_data["width"] = x.size(-1);
    const torch::Tensor parts = comm.all_gather(x.contiguous());  // [size, ..., width]
    return torch::cat(parts.unbind(0), -1);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    // Every rank holds the same loss of the whole logits: its slice's gradient is its part.
    const int64_t width = ctx->saved_data["width"].toInt();
    return {grads[0].narrow(-1, group_of(ctx).rank() * width, width).contiguous(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor copy_to_tensor_parallel(const torch::Tensor& x, Comm& group) {
  return CopyToGroup::apply(x, handle_of(group));
}

torch::Tensor reduce_from_tensor_parallel(const torch::Tensor& x, Comm& group) {
  return ReduceFromGroup::apply(x, handle_of(group));
}

torch::Tensor gather_last_dim(const torch::Tensor& x, Comm& group) {
  return GatherLastDim::apply(x, handle_of(group));
}

int tensor_parallel_split_dim(const std::string& name) {
  const auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  // A column-parallel projection's bias is cut with its output rows (Qwen2's q/k/v biases).
  for (const char* rows : {"q_proj.weight", "k_proj.weight", "v_proj.weight", "q_proj.bias",
                           "k_proj.bias", "v_proj.bias", "gate_proj.weight", "up_proj.weight",
                           "embed_tokens.weight", "lm_head.weight"}) {
    if (ends_with(rows)) return 0;
  }
  if (ends_with("o_proj.weight") || ends_with("down_proj.weight")) return 1;
  for (const char* rows : {"q_proj", "k_proj", "v_proj", "gate_proj", "up_proj"}) {
    if (ends_with(cat(rows, ".lora_B.weight"))) return 0;
  }
  if (ends_with("o_proj.lora_A.weight") || ends_with("down_proj.lora_A.weight")) return 1;
  return -1;
}

torch::Tensor tensor_parallel_slice(const torch::Tensor& whole, int dim, Comm& group) {
  const int64_t chunk = whole.size(dim) / group.size();
  return whole.narrow(dim, group.rank() * chunk, chunk).clone();
}

torch::Tensor gather_tensor_parallel_slices(const torch::Tensor& slice, int dim, Comm& group) {
  return torch::cat(group.all_gather(slice.contiguous()).unbind(0), dim);
}

std::map<std::string, torch::Tensor> gather_tensor_parallel_weights(
    std::map<std::string, torch::Tensor> slices, Comm& group) {
  torch::NoGradGuard no_grad;
  for (auto& [name, slice] : slices) {
    const int dim = tensor_parallel_split_dim(name);
    if (dim >= 0) slice = gather_tensor_parallel_slices(slice, dim, group);
  }
  return slices;
}

std::string indivisible_dimension(const ModelConfig& config, int64_t parts) {
  for (const auto& [what, extent] :
       {std::pair<const char*, int64_t>{"num_attention_heads", config.num_attention_heads},
        {"num_key_value_heads", config.num_key_value_heads},
        {"intermediate_size", config.intermediate_size},
        {"vocab_size", config.vocab_size}}) {
    if (extent % parts != 0) return cat(what, " (", extent, ")");
  }
  return "";
}

}  // namespace scir
