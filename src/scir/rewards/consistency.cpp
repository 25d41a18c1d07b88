#include "scir/rewards/consistency.h"

#include <cmath>

#include "scir/core/errors.h"

namespace scir {
namespace {

const double kLogFloor = std::log(1e-6);
const double kLogCeiling = std::log1p(-1e-6);

BernoulliLogs clamped(const BernoulliLogs& logs) {
  return {logs.log_p.clamp(kLogFloor, kLogCeiling), logs.log_not_p.clamp(kLogFloor, kLogCeiling)};
}

// log(1/2 (e^a + e^b)).
torch::Tensor log_mean_exp(const torch::Tensor& a, const torch::Tensor& b) {
  return torch::logaddexp(a, b) - std::log(2.0);
}

}  // namespace

BernoulliLogs grm_bernoulli(const torch::Tensor& d_forward, const torch::Tensor& d_swapped) {
  // P_G = 1/2 [sigmoid(d1) + sigmoid(-d2)];  1 - P_G = 1/2 [sigmoid(-d1) + sigmoid(d2)].
  return {log_mean_exp(torch::log_sigmoid(d_forward), torch::log_sigmoid(-d_swapped)),
          log_mean_exp(torch::log_sigmoid(-d_forward), torch::log_sigmoid(d_swapped))};
}

BernoulliLogs irm_bernoulli(const torch::Tensor& reward_margin) {
  return {torch::log_sigmoid(reward_margin), torch::log_sigmoid(-reward_margin)};
}

torch::Tensor implicit_reward_margin(const torch::Tensor& logp1, const torch::Tensor& logp2,
                                     const torch::Tensor& ref1, const torch::Tensor& ref2,
                                     const torch::Tensor& length1, const torch::Tensor& length2,
                                     double beta, bool length_norm) {
  torch::Tensor r1 = beta * (logp1 - ref1), r2 = beta * (logp2 - ref2);
  if (length_norm) {
    r1 = r1 / length1.clamp_min(1);
    r2 = r2 / length2.clamp_min(1);
  }
  return r1 - r2;
}

const std::vector<std::pair<std::string, ConsistencyStopGrad>>& consistency_stopgrad_names() {
  static const std::vector<std::pair<std::string, ConsistencyStopGrad>> names = {
      {"none", ConsistencyStopGrad::kNone},
      {"grm", ConsistencyStopGrad::kGrm},
      {"irm", ConsistencyStopGrad::kIrm},
      {"reliable", ConsistencyStopGrad::kReliable}};
  return names;
}

torch::Tensor bernoulli_kl(const BernoulliLogs& p, const BernoulliLogs& q) {
  const BernoulliLogs a = clamped(p), b = clamped(q);
  return a.log_p.exp() * (a.log_p - b.log_p) + a.log_not_p.exp() * (a.log_not_p - b.log_not_p);
}

ConsistencyTerms consistency_loss(const BernoulliLogs& grm, const BernoulliLogs& irm, double gamma,
                                  ConsistencyStopGrad stop_grad) {
  if (stop_grad == ConsistencyStopGrad::kReliable)
    throw InternalError("consistency_loss: stop-gradient 'reliable' not resolved to a side");
  const BernoulliLogs g = stop_grad == ConsistencyStopGrad::kGrm ? grm.detached() : grm;
  const BernoulliLogs i = stop_grad == ConsistencyStopGrad::kIrm ? irm.detached() : irm;
  ConsistencyTerms terms;
  terms.sym = 0.5 * (bernoulli_kl(g, i) + bernoulli_kl(i, g));
  const BernoulliLogs mean =
      clamped({log_mean_exp(g.log_p, i.log_p), log_mean_exp(g.log_not_p, i.log_not_p)});
  terms.ent = -(mean.log_p.exp() * mean.log_p + mean.log_not_p.exp() * mean.log_not_p);
  terms.total = terms.sym + gamma * terms.ent;
  return terms;
}

}  // namespace scir
