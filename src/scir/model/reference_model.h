// The implicit reward's reference pi_ref (docs/METHOD.md section 3) as it is scored: a model of
// its own, or the base of a LoRA-adapted model, scored with its adapter switched off, which
// needs no second copy of the weights.
#pragma once

#include <utility>
#include <vector>

#include "scir/model/lora_adapter.h"
#include "scir/model/sequence_logprobs.h"

namespace scir {

class ReferenceModel {
 public:
  ReferenceModel() = default;  // none: the implicit reward is not measured
  static ReferenceModel of(Transformer& model) { return ReferenceModel(&model, nullptr); }
  static ReferenceModel base_of(LoraAdapter& adapter) {
    return ReferenceModel(&adapter.model(), &adapter);
  }
  bool present() const { return model_ != nullptr; }

  // paired_response_logprobs under the reference (for base_of, the adapter off meanwhile).
  std::pair<std::vector<double>, std::vector<double>> paired_logprobs(
      const std::vector<PromptResponse>& first, const std::vector<PromptResponse>& second,
      int64_t pad_id, int64_t batch_pairs) const;

 private:
  ReferenceModel(Transformer* model, LoraAdapter* adapter) : model_(model), adapter_(adapter) {}
  Transformer* model_ = nullptr;
  LoraAdapter* adapter_ = nullptr;
};

}  // namespace scir
