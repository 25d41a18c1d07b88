#include "scir/train/scir_step.h"

#include "scir/core/errors.h"
#include "scir/model/precision.h"
#include "scir/model/sequence_logprobs.h"

#include <numeric>

namespace scir {

ScirMethod parse_scir_method(const std::string& name, const std::string& option) {
  if (name == "scir") return ScirMethod::kScir;
  if (name == "scir_no_cons") return ScirMethod::kScirNoCons;
  if (name == "scir_no_select") return ScirMethod::kScirNoSelect;
  if (name == "irm_only") return ScirMethod::kIrmOnly;
  if (name == "grm_online") return ScirMethod::kGrmOnline;
  if (name == "srlm" || name == "oracle") return ScirMethod::kLabelled;
  throw InputError(cat("option '--", option,
                       "': expected scir, scir_no_cons, scir_no_select, irm_only, ",
                       "grm_online, srlm or oracle, got '", name, "'"));
}

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

}  // namespace

ScirStepStats scir_step(Transformer& policy, const PairwiseJudge& judge,
                        const std::vector<TrainingPair>& pairs, const ScirSettings& settings,
                        Comm& comm, const PointwiseJudge* pointwise) {
  const int64_t count = static_cast<int64_t>(pairs.size());
  const bool labelled = settings.method == ScirMethod::kLabelled;
  const bool uses_consistency =
      settings.method == ScirMethod::kScir || settings.method == ScirMethod::kScirNoSelect;
  const double lambda = uses_consistency ? settings.lambda : 0.0;
  ScirStepStats stats;

  // 2. The implicit reward: both responses of every pair in one forward, with gradients.
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

  // 1. The judge on both orders (not needed by the labelled and IRM-only methods).
  torch::Tensor loss_cons_sum = torch::zeros({}, options);
  std::vector<double> p_grm(count, 0.5);
  if (!labelled && settings.method != ScirMethod::kIrmOnly) {
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
    // 3. Consistency between the two.
    const ConsistencyTerms terms = consistency_loss(grm, irm, settings.gamma, settings.stop_grad);
    stats.loss_sym = terms.sym.sum().item<double>();
    stats.loss_ent = terms.ent.sum().item<double>();
    if (lambda > 0) loss_cons_sum = terms.total.sum();
  }
  const std::vector<double> p_irm = to_doubles(irm.log_p.exp());

  // 4. Labels.
  std::vector<int> labels;
  const PairSelection selection = select_pairs(p_grm, p_irm, settings.delta, settings.tie_rule);
  switch (settings.method) {
    case ScirMethod::kScir:
    case ScirMethod::kScirNoCons:
      labels = selection.label;
      break;
    case ScirMethod::kScirNoSelect: {
      std::vector<double> mean;
      for (int64_t i = 0; i < count; ++i) mean.push_back(0.5 * (p_grm[i] + p_irm[i]));
      labels = single_model_labels(mean, /*keep_ties=*/true);
      break;
    }
    case ScirMethod::kIrmOnly:
      labels = single_model_labels(p_irm, /*keep_ties=*/false);
      break;
    case ScirMethod::kGrmOnline:
      labels = single_model_labels(p_grm, /*keep_ties=*/true);
      break;
    case ScirMethod::kLabelled:
      for (const TrainingPair& pair : pairs) labels.push_back(pair.fixed_label);
      break;
  }

  // 5. DPO on the kept pairs: chosen and rejected log-ratios by label (never length-normalised).
  std::vector<int64_t> kept, first_chosen;
  for (int64_t i = 0; i < count; ++i) {
    if (labels[i] < 0) continue;
    kept.push_back(i);
    first_chosen.push_back(labels[i]);
  }
  const double local_kept = static_cast<double>(kept.size());
  stats.pairs = all_reduce_scalar(comm, static_cast<double>(count), ReduceOp::kSum);
  stats.kept = all_reduce_scalar(comm, local_kept, ReduceOp::kSum);
  stats.agreements =
      all_reduce_scalar(comm, static_cast<double>(selection.agreements), ReduceOp::kSum);
  torch::Tensor loss = lambda * loss_cons_sum / std::max(1.0, stats.pairs);
  torch::Tensor dpo_sum = torch::zeros({}, options);
  double margin_sum = 0, chosen_sum = 0, rejected_sum = 0;
  if (!kept.empty()) {
    const torch::Tensor index = torch::tensor(kept, torch::kLong).to(ratio1.device());
    const torch::Tensor first =
        torch::tensor(first_chosen, torch::kLong).to(ratio1.device(), torch::kBool);
    const torch::Tensor chosen_ratio =
        torch::where(first, ratio1.index_select(0, index), ratio2.index_select(0, index));
    const torch::Tensor rejected_ratio =
        torch::where(first, ratio2.index_select(0, index), ratio1.index_select(0, index));
    DpoLoss dpo = settings.dpo;
    dpo.beta = settings.beta;
    dpo_sum = dpo(chosen_ratio, rejected_ratio).sum();
    loss = loss + dpo_sum / stats.kept;
    const torch::Tensor chosen_logp =
        torch::where(first, logp1.index_select(0, index), logp2.index_select(0, index));
    const torch::Tensor rejected_logp =
        torch::where(first, logp2.index_select(0, index), logp1.index_select(0, index));
    if (settings.nll_weight > 0) {
      std::vector<double> chosen_lengths;
      for (size_t k = 0; k < kept.size(); ++k) {
        chosen_lengths.push_back(first_chosen[k] ? length1[kept[k]] : length2[kept[k]]);
      }
      const double local_tokens =
          std::accumulate(chosen_lengths.begin(), chosen_lengths.end(), 0.0);
      const double global_tokens = all_reduce_scalar(comm, local_tokens, ReduceOp::kSum);
      loss = loss + settings.nll_weight * (-chosen_logp.sum()) / global_tokens;
    }
    margin_sum = (chosen_ratio - rejected_ratio).sum().item<double>();
    chosen_sum = chosen_logp.sum().item<double>();
    rejected_sum = rejected_logp.sum().item<double>();
  } else if (settings.nll_weight > 0) {
    all_reduce_scalar(comm, 0.0, ReduceOp::kSum);  // keep the collective sequence of other ranks
  }
  // Every rank's part is normalised by global counts; the gradient average multiplies by
  // 1/ranks, undone here.
  // A batch with nothing to learn from (no kept pair, no consistency term) has no gradient.
  if (loss.requires_grad()) (loss * static_cast<double>(comm.size())).backward();

  const auto global_sum = [&](double value) {
    return all_reduce_scalar(comm, value, ReduceOp::kSum);
  };
  const double kept_total = std::max(1.0, stats.kept);
  stats.loss = global_sum(loss.item<double>());
  stats.loss_dpo = global_sum(dpo_sum.item<double>()) / kept_total;
  stats.loss_sym = global_sum(stats.loss_sym) / std::max(1.0, stats.pairs);
  stats.loss_ent = global_sum(stats.loss_ent) / std::max(1.0, stats.pairs);
  stats.margin = global_sum(margin_sum) / kept_total;
  stats.logp_chosen = global_sum(chosen_sum) / kept_total;
  stats.logp_rejected = global_sum(rejected_sum) / kept_total;
  stats.tokens = global_sum(stats.tokens);
  stats.p_grm = p_grm;
  stats.p_irm = p_irm;
  stats.kept_label = labels;
  return stats;
}

}  // namespace scir
