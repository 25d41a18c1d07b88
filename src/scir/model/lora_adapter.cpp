#include "scir/model/lora_adapter.h"

#include <algorithm>
#include <cmath>

#include "scir/core/errors.h"
#include "scir/model/tensor_parallel.h"

namespace scir {
namespace {

struct TargetPlace {
  const char* target;
  const char* module;  // inside a decoder layer
};

constexpr TargetPlace kTargets[] = {{"q", "self_attn.q_proj"}, {"k", "self_attn.k_proj"},
                                    {"v", "self_attn.v_proj"}, {"o", "self_attn.o_proj"},
                                    {"gate", "mlp.gate_proj"}, {"up", "mlp.up_proj"},
                                    {"down", "mlp.down_proj"}};

// The layer's linear module of `target` and the table its adapter is listed in.
std::pair<torch::nn::Linear, LoraProjections*> target_in(DecoderLayer& layer,
                                                         const std::string& target) {
  Attention& a = *layer.self_attn;
  SwiGluMlp& m = *layer.mlp;
  if (target == "q") return {a.q_proj, &a.lora};
  if (target == "k") return {a.k_proj, &a.lora};
  if (target == "v") return {a.v_proj, &a.lora};
  if (target == "o") return {a.o_proj, &a.lora};
  if (target == "gate") return {m.gate_proj, &m.lora};
  if (target == "up") return {m.up_proj, &m.lora};
  return {m.down_proj, &m.lora};
}

}  // namespace

std::pair<int64_t, int64_t> lora_target_shape(const ModelConfig& config,
                                              const std::string& target) {
  const int64_t hidden = config.hidden_size, inner = config.intermediate_size;
  const int64_t queries = config.num_attention_heads * config.head_dim;
  const int64_t keys = config.num_key_value_heads * config.head_dim;
  if (target == "q") return {queries, hidden};
  if (target == "k" || target == "v") return {keys, hidden};
  if (target == "o") return {hidden, queries};
  if (target == "down") return {hidden, inner};
  return {inner, hidden};  // gate, up
}

int64_t lora_parameter_count(const ModelConfig& config, const std::vector<std::string>& targets,
                             int64_t rank, int64_t tp) {
  int64_t per_layer = 0;
  for (const std::string& target : targets) {
    const auto [out, in] = lora_target_shape(config, target);
    // A row-cut projection's B is cut with it, a column-cut one's A (tensor_parallel_split_dim).
    const bool rows_cut = target != "o" && target != "down";
    per_layer += rank * (rows_cut ? in + out / tp : in / tp + out);
  }
  return per_layer * config.num_hidden_layers;
}

LoraRankLimit lora_rank_limit(const ModelConfig& config, const std::vector<std::string>& targets) {
  LoraRankLimit narrowest;
  for (const TargetPlace& place : kTargets) {
    const std::string target = place.target;
    if (std::find(targets.begin(), targets.end(), target) == targets.end()) continue;
    const auto [out, in] = lora_target_shape(config, target);
    if (narrowest.module.empty() || std::min(out, in) < narrowest.rank)
      narrowest = {std::min(out, in), place.module, out, in};
  }
  return narrowest;
}

double LoraSettings::scale() const {
  return rslora ? alpha / std::sqrt(static_cast<double>(rank)) : alpha / static_cast<double>(rank);
}

const std::vector<std::string>& lora_target_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all;
    for (const TargetPlace& place : kTargets) all.emplace_back(place.target);
    return all;
  }();
  return names;
}

std::string lora_target_module(const std::string& target) {
  for (const TargetPlace& place : kTargets)
    if (target == place.target) return place.module;
  throw InternalError(cat("no LoRA target ", target));
}

std::string lora_target_of_module(const std::string& module) {
  for (const TargetPlace& place : kTargets)
    if (module == cat(place.target, "_proj")) return place.target;
  return "";
}

LoraAdapter::LoraAdapter(Transformer& model, const LoraSettings& settings, uint64_t seed)
    : model_(model), settings_(settings) {
  if (settings.rank <= 0) throw InputError(cat("LoRA rank ", settings.rank, ": expected >= 1"));
  if (!(settings.alpha > 0)) throw InputError(cat("LoRA alpha ", settings.alpha, ": expected > 0"));
  if (settings.targets.empty()) throw InputError("LoRA targets: expected at least one");
  for (const std::string& target : settings.targets) {
    const auto& names = lora_target_names();
    if (std::find(names.begin(), names.end(), target) == names.end())
      throw InputError(
          cat("LoRA target '", target, "': expected some of q, k, v, o, gate, up, down"));
  }
  const auto chosen = [&](const std::string& target) {
    return std::find(settings.targets.begin(), settings.targets.end(), target) !=
           settings.targets.end();
  };
  // Every check before the model is touched: a refusal leaves it as it was.
  const LoraRankLimit limit = lora_rank_limit(model.config(), settings.targets);
  if (settings.rank > limit.rank) {
    throw InputError(cat("LoRA rank ", settings.rank, ": above the smaller dimension of ",
                         limit.module, " (", limit.out, " x ", limit.in, ")"));
  }
  for (const torch::Tensor& p : model.parameters()) {
    frozen_.emplace_back(p, p.requires_grad());
    p.set_requires_grad(false);
  }
  auto generator = at::detail::createCPUGenerator(seed);
  Comm* group = model.tensor_parallel_group();
  const int64_t layers = model.config().num_hidden_layers;
  for (int64_t i = 0; i < layers; ++i) {
    DecoderLayer& layer = model.layer(i);
    for (const TargetPlace& place : kTargets) {
      const std::string target = place.target;
      if (!chosen(target)) continue;
      auto [linear, slot] = target_in(layer, target);
      // A is drawn whole and then cut, so that a rank's factors are slices of the adapter the
      // same seed gives an uncut model.
      const auto [whole_out, whole_in] = lora_target_shape(model.config(), target);
      const double bound = 1.0 / std::sqrt(static_cast<double>(whole_in));
      const auto options = torch::TensorOptions().dtype(torch::kFloat);
      torch::Tensor a = at::empty({settings.rank, whole_in}, options);
      a.uniform_(-bound, bound, generator);
      const std::string name = cat("base_model.model.model.layers.", i, ".", place.module);
      const int a_dim = group ? tensor_parallel_split_dim(name + ".lora_A.weight") : -1;
      if (a_dim >= 0) a = tensor_parallel_slice(a, a_dim, *group);
      torch::Tensor b = torch::zeros({linear->weight.size(0), settings.rank}, options);
      const std::string key = cat("layer", i, "_", target);
      a = register_parameter(key + "_A", a.to(linear->weight.device()));
      b = register_parameter(key + "_B", b.to(linear->weight.device()));
      auto projection = std::make_unique<LoraProjection>();
      projection->a = a;
      projection->b = b;
      projection->scale = settings.scale();
      projection->enabled = &enabled_;
      projection->group = group;
      projection->rows_cut = group && a_dim < 0;
      const std::string module =
          std::string(place.module).substr(std::string(place.module).find('.') + 1);
      (*slot)[module] = projection.get();
      adapted_.push_back({name, std::move(projection), linear->weight, slot, module});
    }
  }
}

LoraAdapter::~LoraAdapter() {
  for (Adapted& adapted : adapted_) adapted.slot->erase(adapted.module);
  for (auto& [parameter, requires_grad] : frozen_) parameter.set_requires_grad(requires_grad);
}

namespace {

// W + scale B A in float32, rounded once to W's dtype.
torch::Tensor merged(const torch::Tensor& weight, const LoraProjection& p) {
  const torch::Tensor delta = torch::matmul(p.b, p.a) * p.scale;
  return (weight.to(torch::kFloat) + delta.to(weight.device())).to(weight.scalar_type());
}

}  // namespace

void LoraAdapter::merge() {
  torch::NoGradGuard no_grad;
  for (Adapted& adapted : adapted_) {
    adapted.base_weight.copy_(merged(adapted.base_weight, *adapted.projection));
    adapted.projection->b.zero_();
  }
}

torch::Tensor LoraAdapter::merged_weight(const std::string& name,
                                         const torch::Tensor& weight) const {
  torch::NoGradGuard no_grad;
  const std::string prefix = "base_model.model.";  // PEFT's module names, the model's after it
  for (const Adapted& adapted : adapted_) {
    if (adapted.name.substr(prefix.size()) + ".weight" == name)
      return merged(weight, *adapted.projection);
  }
  return weight;
}

std::map<std::string, torch::Tensor> LoraAdapter::named_weights() const {
  std::map<std::string, torch::Tensor> weights;
  for (const Adapted& adapted : adapted_) {
    weights[adapted.name + ".lora_A.weight"] = adapted.projection->a;
    weights[adapted.name + ".lora_B.weight"] = adapted.projection->b;
  }
  return weights;
}

std::map<std::string, std::vector<int64_t>> lora_weight_shapes(const ModelConfig& config,
                                                               const LoraSettings& settings) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    for (const std::string& target : settings.targets) {
      const auto [out, in] = lora_target_shape(config, target);
      const std::string module =
          cat("base_model.model.model.layers.", i, ".", lora_target_module(target));
      shapes[module + ".lora_A.weight"] = {settings.rank, in};
      shapes[module + ".lora_B.weight"] = {out, settings.rank};
    }
  }
  return shapes;
}

void check_lora_weights(const std::map<std::string, std::vector<int64_t>>& expected,
                        const std::map<std::string, torch::Tensor>& weights,
                        const std::string& source) {
  for (const auto& [name, tensor] : weights) {
    if (!expected.count(name)) {
      throw InputError(
          cat(source, ": tensor ", name, " adapts no projection of the model with these targets"));
    }
  }
  for (const auto& [name, shape] : expected) {
    const auto found = weights.find(name);
    if (found == weights.end()) throw InputError(cat(source, ": no tensor ", name));
    if (found->second.sizes() != c10::IntArrayRef(shape)) {
      throw InputError(cat(source, ": ", name, " has shape ", found->second.sizes(), ", expected ",
                           c10::IntArrayRef(shape), " for this model and rank"));
    }
  }
}

std::map<std::string, torch::Tensor> LoraAdapter::whole_weights() const {
  Comm* group = model_.tensor_parallel_group();
  return group ? gather_tensor_parallel_weights(named_weights(), *group) : named_weights();
}

void LoraAdapter::assign(const std::map<std::string, torch::Tensor>& weights,
                         const std::string& source) {
  torch::NoGradGuard no_grad;
  check_lora_weights(lora_weight_shapes(model_.config(), settings_), weights, source);
  Comm* group = model_.tensor_parallel_group();
  for (auto& [name, tensor] : named_weights()) {
    const torch::Tensor& whole = weights.at(name);
    const int dim = group ? tensor_parallel_split_dim(name) : -1;
    tensor.copy_(
        (dim >= 0 ? tensor_parallel_slice(whole, dim, *group) : whole).to(tensor.scalar_type()));
  }
}

TensorParallelNorm LoraAdapter::tensor_parallel_norm() const {
  TensorParallelNorm norm;
  norm.group = model_.tensor_parallel_group();
  if (!norm.group) return norm;
  // parameters() lists each adapted projection's A, then its B, in the order they were made.
  for (const Adapted& adapted : adapted_) {
    norm.replicated.push_back(adapted.projection->rows_cut);   // A whole where B is cut
    norm.replicated.push_back(!adapted.projection->rows_cut);  // B whole where A is cut
  }
  return norm;
}

}  // namespace scir
