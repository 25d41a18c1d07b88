// The consistency loss between the two internal reward models (METHOD.md section 4.3), per
// pair, with Bernoulli distributions B(p):
//     L_sym  = 1/2 [ KL(B(P_G) || B(P_I)) + KL(B(P_I) || B(P_G)) ]
//     L_ent  = H(B((P_G + P_I) / 2))
//     L_cons = L_sym + gamma L_ent
// Everything is computed in log space from the models' logits, and probabilities are clamped
// to [1e-6, 1 - 1e-6], so extreme logits give finite values and gradients.
#pragma once

#include <string>

#include <torch/torch.h>

namespace scir {

// log p and log(1 - p), each [pairs].
struct BernoulliLogs {
  torch::Tensor log_p;
  torch::Tensor log_not_p;
  torch::Tensor probability() const { return log_p.exp(); }
  BernoulliLogs detached() const { return {log_p.detach(), log_not_p.detach()}; }
};

// P_G = 1/2 [ sigmoid(d_forward) + 1 - sigmoid(d_swapped) ] from the verdict logits
// d = l_A - l_B of J(x, y1, y2) and J(x, y2, y1).
BernoulliLogs grm_bernoulli(const torch::Tensor& d_forward, const torch::Tensor& d_swapped);
// P_I = sigmoid(r1 - r2) from the implicit reward margin.
BernoulliLogs irm_bernoulli(const torch::Tensor& reward_margin);
// The implicit reward margin r(x, y1) - r(x, y2), r = beta [log pi(y|x) - log pi_ref(y|x)], each
// r divided by its response length (at least 1) when length_norm. Lengths are counts in the
// dtype of the log-probs.
torch::Tensor implicit_reward_margin(const torch::Tensor& logp1, const torch::Tensor& logp2,
                                     const torch::Tensor& ref1, const torch::Tensor& ref2,
                                     const torch::Tensor& length1, const torch::Tensor& length2,
                                     double beta, bool length_norm);

// Which side is a fixed target (no gradient through it). kReliable is resolved before the loss
// is computed, each iteration, to kGrm or kIrm: the reward model more accurate on labelled
// held-out pairs is held fixed (pipeline/reference_phase measures them).
enum class ConsistencyStopGrad { kNone, kGrm, kIrm, kReliable };
// The modes by name ("none", "grm", "irm", "reliable"), in the order help texts list them.
const std::vector<std::pair<std::string, ConsistencyStopGrad>>& consistency_stopgrad_names();

// The side `reliable` holds fixed, from the two reward models' accuracies on labelled pairs:
// the judge when it is at least as accurate (the IRM is pulled towards it), else the IRM.
inline ConsistencyStopGrad reliable_side(double acc_grm, double acc_irm) {
  return acc_grm >= acc_irm ? ConsistencyStopGrad::kGrm : ConsistencyStopGrad::kIrm;
}

struct ConsistencyTerms {
  torch::Tensor sym;    // [pairs]
  torch::Tensor ent;    // [pairs]
  torch::Tensor total;  // sym + gamma ent, [pairs]
};

ConsistencyTerms consistency_loss(const BernoulliLogs& grm, const BernoulliLogs& irm, double gamma,
                                  ConsistencyStopGrad stop_grad = ConsistencyStopGrad::kNone);

// KL(B(p) || B(q)) from log-probabilities, clamped as above.
torch::Tensor bernoulli_kl(const BernoulliLogs& p, const BernoulliLogs& q);

}  // namespace scir
