#include "scir/pipeline/reference_phase.h"

#include "scir/core/errors.h"
#include "scir/core/logging.h"
#include "scir/dist/collective_watchdog.h"
#include "scir/eval/evaluation_record.h"
#include "scir/eval/world_eval.h"
#include "scir/io/h5_group.h"
#include "scir/io/run_contract.h"
#include "scir/model/precision.h"
#include "scir/model/sequence_logprobs.h"
#include "scir/rewards/consistency.h"

namespace scir {

void reference_phase(const IterationContext& context, Transformer& policy, Transformer& reference,
                     IterationPairs& pairs, const std::vector<LabelledPair>& heldout) {
  CollectiveWatchdog::instance().set_progress("[" + context.name() + "] reference");
  const SelfRewardingPlan& plan = context.plan;
  const IterationJudges& judges = context.judges;
  const int64_t batch = plan.eval.batch_size;
  const int64_t pad = judges.tokenizer().pad_id();
  std::vector<PromptResponse> first, second;
  std::vector<JudgedPair> judged;
  std::vector<double> length1, length2;
  for (const IterationPair& p : pairs.mine) {
    first.push_back({p.pair.prompt, p.pair.response1});
    second.push_back({p.pair.prompt, p.pair.response2});
    judged.push_back({p.pair.instruction, p.pair.text1, p.pair.text2});
    length1.push_back(static_cast<double>(p.pair.response1.size()));
    length2.push_back(static_cast<double>(p.pair.response2.size()));
  }
  const auto [ref1, ref2] = paired_response_logprobs(reference, first, second, pad, batch);
  const auto [pol1, pol2] = paired_response_logprobs(policy, first, second, pad, batch);
  const std::vector<double> p_grm0 =
      grm_preferences(policy, judges.pairwise(), judges.pointwise(), judged, batch);
  const std::vector<double> p_irm0 =
      to_doubles(irm_bernoulli(implicit_reward_margin(from_doubles(pol1), from_doubles(pol2),
                                                      from_doubles(ref1), from_doubles(ref2),
                                                      from_doubles(length1), from_doubles(length2),
                                                      plan.scir.beta, plan.scir.irm_length_norm))
                     .probability());
  for (size_t i = 0; i < pairs.mine.size(); ++i) {
    IterationPair& p = pairs.mine[i];
    p.pair.ref_logp1 = ref1[i];
    p.pair.ref_logp2 = ref2[i];
    p.p_grm0 = p_grm0[i];
    p.p_irm0 = p_irm0[i];
  }
  write_pair_columns(context, pairs, PairStage::kReferenced);
  if (plan.scir.stop_grad == ConsistencyStopGrad::kReliable) {
    WorldEvaluation accuracy = no_evaluation();
    evaluate_reward_models(context.copies(), policy, ReferenceModel::of(reference),
                           judges.pairwise(), judges.pointwise(), heldout, plan.eval, &accuracy);
    if (context.job().rank() == 0) {
      H5Group group;
      group.numbers = {{"acc_grm_heldout0", accuracy.acc_grm},
                       {"acc_irm_heldout0", accuracy.acc_irm}};
      write_h5_group(context.run.h5(), run_contract::iteration_group(context.t) + "/pairs", group,
                     H5GroupWrite::kAddColumns);
    }
  }
  context.mark_done("reference");
}

ConsistencyStopGrad consistency_pull(const IterationContext& context) {
  const ConsistencyStopGrad configured = context.plan.scir.stop_grad;
  if (configured != ConsistencyStopGrad::kReliable) return configured;
  std::vector<double> accuracy = {0, 0};
  if (context.job().rank() == 0) {
    const H5Group pairs =
        read_h5_group(context.run.h5(), run_contract::iteration_group(context.t) + "/pairs");
    accuracy = {pairs.numbers.at("acc_grm_heldout0"), pairs.numbers.at("acc_irm_heldout0")};
  }
  accuracy = all_reduce_values(context.job(), accuracy, ReduceOp::kSum);
  const ConsistencyStopGrad side = reliable_side(accuracy[0], accuracy[1]);
  log_info(cat("[", context.name(), "] consistency pull: ",
               side == ConsistencyStopGrad::kGrm ? "the judge fixed, the IRM pulled"
                                                 : "the IRM fixed, the judge pulled",
               " (held-out accuracy: judge ", accuracy[0], ", IRM ", accuracy[1], ")"));
  return side;
}

}  // namespace scir
