#include "scir/pipeline/reference_phase.h"

#include "scir/dist/collective_watchdog.h"
#include "scir/model/precision.h"
#include "scir/model/sequence_logprobs.h"
#include "scir/rewards/consistency.h"

namespace scir {

void reference_phase(const IterationContext& context, Transformer& policy, Transformer& reference,
                     IterationPairs& pairs) {
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
  context.mark_done("reference");
}

}  // namespace scir
