#include "scir/pipeline/lora_training.h"

#include "scir/core/errors.h"
#include "scir/core/logging.h"
#include "scir/io/peft_adapter.h"

namespace scir {

std::unique_ptr<LoraAdapter> attach_lora(Transformer& model, const LoraSettings& settings,
                                         uint64_t seed, const std::string& label) {
  if (!settings.on()) return nullptr;
  auto adapter = std::make_unique<LoraAdapter>(model, settings, seed);
  int64_t trained = 0, frozen = 0;
  for (const torch::Tensor& p : adapter->parameters()) trained += p.numel();
  for (const torch::Tensor& p : model.parameters()) frozen += p.numel();
  log_info(cat("[", label, "] LoRA rank ", settings.rank, ", scale ", settings.scale(), ": ",
               trained, " parameters trained, ", frozen, " frozen",
               model.tensor_parallel() ? " (this rank's slices)" : ""));
  return adapter;
}

void save_lora(Comm& job, const LoraAdapter& adapter, const std::string& directory,
               const std::string& base_model) {
  const std::map<std::string, torch::Tensor> weights = adapter.whole_weights();  // collective
  if (job.rank() == 0) save_peft_adapter(directory, adapter.settings(), weights, base_model);
}

void save_and_merge_lora(Comm& job, std::unique_ptr<LoraAdapter>& adapter,
                         const std::string& directory, const std::string& base_model) {
  if (!adapter) return;
  save_lora(job, *adapter, directory, base_model);
  adapter->merge();  // M = M + scale B A, rounded once to the model's dtype
  adapter.reset();
}

}  // namespace scir
