#include "scir/model/reference_model.h"

#include <optional>

#include "scir/core/errors.h"

namespace scir {

std::pair<std::vector<double>, std::vector<double>> ReferenceModel::paired_logprobs(
    const std::vector<PromptResponse>& first, const std::vector<PromptResponse>& second,
    int64_t pad_id, int64_t batch_pairs) const {
  if (!model_) throw InternalError("no reference model to score with");
  std::optional<LoraAdapterOff> off;
  if (adapter_) off.emplace(*adapter_);
  return paired_response_logprobs(*model_, first, second, pad_id, batch_pairs);
}

}  // namespace scir
