#include "scir/pipeline/label_phase.h"

#include "scir/dist/collective_watchdog.h"

namespace scir {
namespace {

int preference(double first, double second) { return first > second ? 1 : first < second ? 0 : -1; }

}  // namespace

void label_phase(const IterationContext& context, IterationPairs& pairs) {
  CollectiveWatchdog::instance().set_progress("[" + context.name() + "] label");
  const LabelSource labels = context.plan.scir.method.labels;
  for (IterationPair& p : pairs.mine) {
    if (labels == LabelSource::kSrlm) {
      p.pair.fixed_label = srlm_pairs_best_vs_worst(context.plan) ? 1 : preference(p.p_grm0, 0.5);
    } else if (labels == LabelSource::kOracle) {
      p.pair.fixed_label = preference(p.q1, p.q2);
    } else {
      p.pair.fixed_label = -1;
    }
  }
  write_pair_columns(context, pairs, PairStage::kLabelled);
  context.mark_done("label");
}

}  // namespace scir
