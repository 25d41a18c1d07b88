#include "scir/train/dpo_loss.h"

#include "scir/core/errors.h"

namespace scir {

const std::vector<std::pair<std::string, DpoLossKind>>& dpo_loss_names() {
  static const std::vector<std::pair<std::string, DpoLossKind>> names = {
      {"sigmoid", DpoLossKind::kSigmoid},
      {"ipo", DpoLossKind::kIpo},
      {"hinge", DpoLossKind::kHinge},
      {"robust", DpoLossKind::kRobust}};
  return names;
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
