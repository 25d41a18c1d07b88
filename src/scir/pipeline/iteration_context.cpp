#include "scir/pipeline/iteration_context.h"

namespace scir {

IterationJudges::IterationJudges(const Tokenizer& tokenizer, ChatTemplate chat_template,
                                 const SelfRewardingPlan& plan)
    : pairwise_template_(JudgeTemplate::from_file(plan.pairwise_template, JudgeKind::kPairwise)),
      pairwise_(PairwiseJudge::with_ab_verdicts(tokenizer, chat_template, pairwise_template_)) {
  if (plan.scir.pointwise_grm) {
    pointwise_ = std::make_unique<LoadedPointwiseJudge>(tokenizer, chat_template,
                                                        plan.pointwise_template, plan.tau);
  }
  if (plan.srlm_sampled_judge) {
    sampled_template_ = std::make_unique<JudgeTemplate>(
        JudgeTemplate::from_file(plan.pointwise_template, JudgeKind::kPointwise));
  }
}

bool IterationContext::done(const char* phase_name, const PhaseOutputs& outputs) const {
  return run.done(job(), phase(phase_name), outputs);
}

void IterationContext::mark_done(const char* phase_name) const {
  if (job().rank() == 0) run.mark_done(phase(phase_name));
  job().barrier();
}

}  // namespace scir
