#include "scir/train/dpo_loss.h"

#include "scir/core/errors.h"

namespace scir {

DpoLossKind parse_dpo_loss(const std::string& name, const std::string& option) {
  if (name == "sigmoid") return DpoLossKind::kSigmoid;
  if (name == "ipo") return DpoLossKind::kIpo;
  if (name == "hinge") return DpoLossKind::kHinge;
  if (name == "robust") return DpoLossKind::kRobust;
  throw InputError(
      cat("option '--", option, "': expected sigmoid, ipo, hinge or robust, got '", name, "'"));
}

torch::Tensor DpoLoss::operator()(const torch::Tensor& chosen_log_ratio,
                                  const torch::Tensor& rejected_log_ratio) const {
  const torch::Tensor h = beta * (chosen_log_ratio - rejected_log_ratio);
  switch (kind) {
    case DpoLossKind::kSigmoid:
      return -torch::log_sigmoid(h);
    case DpoLossKind::kIpo:
      return (h / beta - 1.0 / (2.0 * beta)).pow(2);
    case DpoLossKind::kHinge:
      return torch::relu(1.0 - h);
    case DpoLossKind::kRobust:
      return -(1.0 - label_smoothing) * torch::log_sigmoid(h) -
             label_smoothing * torch::log_sigmoid(-h);
  }
  return h;
}

}  // namespace scir
