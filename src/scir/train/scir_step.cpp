#include "scir/train/scir_step.h"

#include "scir/core/errors.h"
#include "scir/model/precision.h"
#include "scir/model/sequence_logprobs.h"

namespace scir {

namespace {

// Labels of the methods that do not select by agreement.
std::vector<int> single_model_labels(const std::vector<double>& p, bool keep_ties) {
  std::vector<int> labels;
  for (double value : p) {
    if (std::abs(value - 0.5) < kIrmTieWidth && !keep_ties) {
      labels.push_back(-1);
    } else {
      labels.push_back(value > 0.5 ? 1 : value < 0.5 ? 0 : -1);
    }
  }
  return labels;
}

// 1 for the pairs on which both reward models are confident by at least `margin` (every pair
// at margin 0), else 0: the mask of the consistency loss, without gradient.
torch::Tensor confidence_gate(const std::vector<double>& p_grm, const std::vector<double>& p_irm,
                              double margin, const torch::TensorOptions& options) {
  std::vector<double> gate;
  for (size_t i = 0; i < p_grm.size(); ++i) {
    const double confidence = std::min(std::abs(p_grm[i] - 0.5), std::abs(p_irm[i] - 0.5));
    gate.push_back(confidence >= margin ? 1.0 : 0.0);
  }
  return torch::tensor(gate, options);
}

}  // namespace

ScirStepStats scir_step(Transformer& policy, const PairwiseJudge& judge,
                        const std::vector<TrainingPair>& pairs, const ScirSettings& settings,
                        Comm& comm, const PointwiseJudge* pointwise) {
  const int64_t count = static_cast<int64_t>(pairs.size());
  const MethodRow& method = settings.method;
  const double lambda = method.consistency ? settings.lambda : 0.0;
  ScirStepStats stats;

  // 4.1 P_I, the implicit reward: both responses of every pair in one forward, with gradients.
  std::vector<PromptResponse> sequences;
  for (const TrainingPair& pair : pairs) sequences.push_back({pair.prompt, pair.response1});
  for (const TrainingPair& pair : pairs) sequences.push_back({pair.prompt, pair.response2});
  const ResponseLogProbs scored = response_logprobs(policy, sequences, judge.tokenizer.pad_id());
  const auto options = scored.sum.options();
  const torch::Tensor logp1 = scored.sum.narrow(0, 0, count),
                      logp2 = scored.sum.narrow(0, count, count);
  std::vector<double> ref1, ref2, length1, length2;
  for (const TrainingPair& pair : pairs) {
    ref1.push_back(pair.ref_logp1);
    ref2.push_back(pair.ref_logp2);
    length1.push_back(static_cast<double>(pair.response1.size()));
    length2.push_back(static_cast<double>(pair.response2.size()));
  }
  // log pi / pi_ref of each response: the DPO terms below, and the implicit reward.
  const torch::Tensor ratio1 = logp1 - torch::tensor(ref1, options);
  const torch::Tensor ratio2 = logp2 - torch::tensor(ref2, options);
  const BernoulliLogs irm = irm_bernoulli(implicit_reward_margin(
      logp1, logp2, torch::tensor(ref1, options), torch::tensor(ref2, options),
      torch::tensor(length1, options), torch::tensor(length2, options), settings.beta,
      settings.irm_length_norm));
  for (int64_t length : scored.lengths) stats.tokens += static_cast<double>(length);
  const std::vector<double> p_irm = to_doubles(irm.log_p.exp());

  // 4.2 P_G, the judge on both orders (not needed by the labelled and IRM-only methods), and
  // 4.3 the consistency loss between the two.
  torch::Tensor consistency_sum = torch::zeros({}, options);
  std::vector<double> p_grm(count, 0.5);
  if (method.judge_in_step()) {
    BernoulliLogs grm;
    if (settings.pointwise_grm) {
      if (!pointwise) throw InternalError("scir_step: grm = pointwise without a pointwise judge");
      std::vector<std::string> instructions, responses;
      for (const TrainingPair& pair : pairs) {
        instructions.push_back(pair.instruction);
        responses.push_back(pair.text1);
      }
      for (const TrainingPair& pair : pairs) {
        instructions.push_back(pair.instruction);
        responses.push_back(pair.text2);
      }
      const torch::Tensor scores = expected_scores(policy, *pointwise, instructions, responses);
      grm = pointwise_bernoulli(scores.narrow(0, 0, count), scores.narrow(0, count, count),
                                pointwise->tau);
    } else {
      std::vector<JudgedPair> judged;
      for (const TrainingPair& pair : pairs)
        judged.push_back({pair.instruction, pair.text1, pair.text2});
      grm = grm_bernoulli(verdict_logits(policy, judge, judged, false),
                          verdict_logits(policy, judge, judged, true));
    }
    p_grm = to_doubles(grm.log_p.exp());
    const ConsistencyTerms terms = consistency_loss(grm, irm, settings.gamma, settings.stop_grad);
    const torch::Tensor gate = confidence_gate(p_grm, p_irm, settings.cons_gate, options);
    stats.gated = gate.sum().item<double>();
    stats.loss_sym = (terms.sym * gate).sum().item<double>();
    stats.loss_ent = (terms.ent * gate).sum().item<double>();
    if (lambda > 0) consistency_sum = (terms.total * gate).sum();
  }

  // 4.4 Selection and labels (no gradient).
  std::vector<int> labels;
  const PairSelection selection = select_pairs(p_grm, p_irm, settings.delta, settings.tie_rule);
  switch (method.labels) {
    case LabelSource::kAgreement:
      labels = selection.label;
      break;
    case LabelSource::kMeanPreference: {
      std::vector<double> mean;
      for (int64_t i = 0; i < count; ++i) mean.push_back(0.5 * (p_grm[i] + p_irm[i]));
      labels = single_model_labels(mean, /*keep_ties=*/true);
      break;
    }
    case LabelSource::kImplicitReward:
      labels = single_model_labels(p_irm, /*keep_ties=*/false);
      break;
    case LabelSource::kJudge:
      labels = single_model_labels(p_grm, /*keep_ties=*/true);
      break;
    case LabelSource::kSrlm:
    case LabelSource::kOracle:
      for (const TrainingPair& pair : pairs) labels.push_back(pair.fixed_label);
      break;
  }

  // The counts over all ranks that normalise every term of the loss (one reduction).
  std::vector<int64_t> kept, first_chosen;
  double chosen_tokens = 0;
  for (int64_t i = 0; i < count; ++i) {
    if (labels[i] < 0) continue;
    kept.push_back(i);
    first_chosen.push_back(labels[i]);
    chosen_tokens += labels[i] ? length1[i] : length2[i];
  }
  const std::vector<double> counts =
      all_reduce_values(comm,
                        {static_cast<double>(count), static_cast<double>(kept.size()),
                         static_cast<double>(selection.agreements), chosen_tokens, stats.gated},
                        ReduceOp::kSum);
  stats.pairs = counts[0];
  stats.kept = counts[1];
  stats.agreements = counts[2];
  stats.gated = counts[4];
  const torch::Tensor consistency_term = lambda * consistency_sum / std::max(1.0, stats.pairs);

  // 4.5 DPO on the kept pairs: chosen and rejected log-ratios by label (never length-normalised).
  torch::Tensor dpo_sum = torch::zeros({}, options), dpo_term, nll_term;
  double margin_sum = 0, chosen_sum = 0, rejected_sum = 0;
  if (!kept.empty()) {
    const torch::Tensor index = torch::tensor(kept, torch::kLong).to(ratio1.device());
    const torch::Tensor first =
        torch::tensor(first_chosen, torch::kLong).to(ratio1.device(), torch::kBool);
    const auto chosen_of = [&](const torch::Tensor& a, const torch::Tensor& b) {
      return torch::where(first, a.index_select(0, index), b.index_select(0, index));
    };
    const torch::Tensor chosen_ratio = chosen_of(ratio1, ratio2);
    const torch::Tensor rejected_ratio = chosen_of(ratio2, ratio1);
    DpoLoss dpo = settings.dpo;
    dpo.beta = settings.beta;
    dpo_sum = dpo(chosen_ratio, rejected_ratio).sum();
    dpo_term = dpo_sum / stats.kept;
    const torch::Tensor chosen_logp = chosen_of(logp1, logp2);
    if (settings.nll_weight > 0) nll_term = settings.nll_weight * (-chosen_logp.sum()) / counts[3];
    margin_sum = (chosen_ratio - rejected_ratio).sum().item<double>();
    chosen_sum = chosen_logp.sum().item<double>();
    rejected_sum = chosen_of(logp2, logp1).sum().item<double>();
  }

  // 4.6 The total loss. A batch in which no pair is kept has the consistency term alone.
  torch::Tensor loss = consistency_term;
  if (dpo_term.defined()) loss = loss + dpo_term;
  if (nll_term.defined()) loss = loss + nll_term;
  // The average over ranks multiplies by 1/ranks, undone here. A batch with nothing to learn
  // from (no kept pair, no consistency term) has no gradient.
  if (loss.requires_grad())
    (loss * (static_cast<double>(comm.size()) * settings.loss_scale)).backward();

  // The step's statistics, in one reduction.
  const std::vector<double> sums =
      all_reduce_values(comm,
                        {loss.item<double>(), dpo_sum.item<double>(), stats.loss_sym,
                         stats.loss_ent, margin_sum, chosen_sum, rejected_sum, stats.tokens},
                        ReduceOp::kSum);
  const double kept_total = std::max(1.0, stats.kept);
  const double pair_total = std::max(1.0, stats.pairs);
  stats.loss = sums[0];
  stats.loss_dpo = sums[1] / kept_total;
  stats.loss_sym = sums[2] / pair_total;
  stats.loss_ent = sums[3] / pair_total;
  stats.margin = sums[4] / kept_total;
  stats.logp_chosen = sums[5] / kept_total;
  stats.logp_rejected = sums[6] / kept_total;
  stats.tokens = sums[7];
  stats.p_grm = p_grm;
  stats.p_irm = p_irm;
  stats.kept_label = labels;
  return stats;
}

}  // namespace scir
