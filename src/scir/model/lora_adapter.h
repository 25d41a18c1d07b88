// LoRA adapters on a transformer's projections (model/lora_projection): the base weights frozen
// in the model's dtype, the adapters float32 and the only trained parameters. A new adapter is
// the base model exactly (B = 0); switched off, the adapted model is its own reference without
// a second copy; merged, the model's weights take W + scale * B A and the adapter is zero.
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "scir/dist/gradient_norm.h"
#include "scir/model/lora_projection.h"
#include "scir/model/transformer.h"

namespace scir {

struct LoraSettings {
  int64_t rank = 0;  // 0: no adapter
  double alpha = 16;
  std::vector<std::string> targets = {"q", "k", "v", "o", "gate", "up", "down"};
  bool rslora = false;  // scale alpha / sqrt(rank) (rsLoRA, Kalajdzievski 2023) for alpha / rank
  bool on() const { return rank > 0; }
  double scale() const;
};

// The targets' short names, q k v o gate up down, in the order of a layer's projections.
const std::vector<std::string>& lora_target_names();
// A target's module inside a decoder layer: "q" -> "self_attn.q_proj", "gate" -> "mlp.gate_proj".
std::string lora_target_module(const std::string& target);
// The short name of a module name such as "q_proj" ("" when it is none of the targets).
std::string lora_target_of_module(const std::string& module);

// A target's weight shape [out, in] in a model of `config` (whole, not cut by tensor parallelism).
std::pair<int64_t, int64_t> lora_target_shape(const ModelConfig& config, const std::string& target);
// The parameters of rank-`rank` adapters on `targets` of every layer: rank x (in + out) each,
// or a rank's share of them under tensor parallelism over `tp` ranks.
int64_t lora_parameter_count(const ModelConfig& config, const std::vector<std::string>& targets,
                             int64_t rank, int64_t tp = 1);

// The largest rank the targets of a model of `config` take: the smaller dimension of the
// narrowest of them, that projection's module and its [out, in] shape.
struct LoraRankLimit {
  int64_t rank = 0;
  std::string module;
  int64_t out = 0, in = 0;
};
LoraRankLimit lora_rank_limit(const ModelConfig& config, const std::vector<std::string>& targets);

// The tensors of an adapter of `settings` for a model of `config` by PEFT's names
// ("base_model.model.model.layers.<i>.<module>.lora_A.weight" [rank, in], "...lora_B.weight"
// [out, rank]).
std::map<std::string, std::vector<int64_t>> lora_weight_shapes(const ModelConfig& config,
                                                               const LoraSettings& settings);
// Refuses (InputError naming `source`) `weights` that are not exactly the `expected` tensors: a
// tensor that adapts nothing listed, a missing one, or one of another shape.
void check_lora_weights(const std::map<std::string, std::vector<int64_t>>& expected,
                        const std::map<std::string, torch::Tensor>& weights,
                        const std::string& source);

class LoraAdapter : public torch::nn::Module {
 public:
  // Adapters on `settings.targets` of every layer: A ~ U(-1/sqrt(in), 1/sqrt(in)) (PEFT's
  // default, Kaiming-uniform with a = sqrt(5)) from a generator seeded with `seed`, B = 0. The
  // model's own parameters stop requiring gradients until the adapter is destroyed. On a model
  // cut for tensor parallelism each rank holds its slices of the factors
  // (tensor_parallel_split_dim), those of the uncut model's adapter from the same seed. Refused
  // (InputError) for a rank above a target's smaller dimension, an unknown target or
  // alpha <= 0.
  LoraAdapter(Transformer& model, const LoraSettings& settings, uint64_t seed);
  ~LoraAdapter() override;
  LoraAdapter(const LoraAdapter&) = delete;
  LoraAdapter& operator=(const LoraAdapter&) = delete;

  // Off: the model computes its base function (a reference without a copy).
  void set_enabled(bool on) { enabled_ = on; }
  bool enabled() const { return enabled_; }
  // W += scale * B A in every target (computed in float32, rounded once to W's dtype), then
  // B = 0, so that the model's function is unchanged and the adapter adds nothing more.
  void merge();
  // What merge() would make of the model's weight `name` ("model.layers.<i>.self_attn.q_proj.
  // weight"), a new tensor, the model untouched: `weight` itself where `name` is not adapted.
  torch::Tensor merged_weight(const std::string& name, const torch::Tensor& weight) const;
  Transformer& model() { return model_; }
  // The adapter's weights under PEFT's names, "base_model.model.model.layers.<i>.<module>.
  // lora_A.weight" and "...lora_B.weight": this rank's slices under tensor parallelism.
  std::map<std::string, torch::Tensor> named_weights() const;
  // named_weights() whole: the slices gathered (collective over the tensor-parallel group).
  std::map<std::string, torch::Tensor> whole_weights() const;
  // Copies `weights` (PEFT's names, every adapter's A and B, whole: lora_weight_shapes) in,
  // this rank's slices under tensor parallelism; `source` names their file in errors.
  void assign(const std::map<std::string, torch::Tensor>& weights, const std::string& source);
  // Which of parameters() every rank of the tensor-parallel group holds whole, for the
  // gradient norm (no group without tensor parallelism).
  TensorParallelNorm tensor_parallel_norm() const;
  const LoraSettings& settings() const { return settings_; }

 private:
  struct Adapted {
    std::string name;  // PEFT's module name, "base_model.model.model.layers.<i>.<module>"
    std::unique_ptr<LoraProjection> projection;
    torch::Tensor base_weight;
    LoraProjections* slot;  // the layer's table the projection is listed in
    std::string module;     // "q_proj", ...
  };
  Transformer& model_;
  LoraSettings settings_;
  bool enabled_ = true;
  std::vector<Adapted> adapted_;
  std::vector<std::pair<torch::Tensor, bool>> frozen_;  // the model's parameters, requires_grad
};

// The adapter switched off for a scope (the base model's function), and back as it was.
class LoraAdapterOff {
 public:
  explicit LoraAdapterOff(LoraAdapter& adapter) : adapter_(adapter), was_(adapter.enabled()) {
    adapter.set_enabled(false);
  }
  ~LoraAdapterOff() { adapter_.set_enabled(was_); }
  LoraAdapterOff(const LoraAdapterOff&) = delete;
  LoraAdapterOff& operator=(const LoraAdapterOff&) = delete;

 private:
  LoraAdapter& adapter_;
  bool was_;
};

}  // namespace scir
