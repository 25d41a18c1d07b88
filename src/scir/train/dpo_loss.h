// DPO losses on the implicit reward margin (METHOD.md section 4.5):
//     h = beta [ (log pi(y_w|x) - log pi_ref(y_w|x)) - (log pi(y_l|x) - log pi_ref(y_l|x)) ]
//     sigmoid: -log sigmoid(h)        ipo: (h / beta - 1 / (2 beta))^2
//     hinge:   max(0, 1 - h)          robust: -(1 - eps) log sigmoid(h) - eps log sigmoid(-h)
#pragma once

#include <string>

#include <torch/torch.h>

namespace scir {

enum class DpoLossKind { kSigmoid, kIpo, kHinge, kRobust };
// The losses by name ("sigmoid", "ipo", "hinge", "robust"), in the order help texts list them.
const std::vector<std::pair<std::string, DpoLossKind>>& dpo_loss_names();

struct DpoLoss {
  DpoLossKind kind = DpoLossKind::kSigmoid;
  double beta = 0.1;
  double label_smoothing = 0.1;  // eps of the robust loss
  // Per pair from the log-ratios log pi - log pi_ref of the chosen and rejected responses.
  torch::Tensor operator()(const torch::Tensor& chosen_log_ratio,
                           const torch::Tensor& rejected_log_ratio) const;
};

}  // namespace scir
