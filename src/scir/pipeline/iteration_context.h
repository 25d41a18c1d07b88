// What every phase of a self-rewarding iteration reads: the process grid and run directory, the
// plan, the judges (built once from M1's tokenizer), the oracle where there is one, and which
// iteration it is. A phase's DONE marker is RUN/.done/iter_<t>.<phase>; the iteration's own
// marker, iter_<t>, is written last, by the evaluate phase.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "scir/data/judge_template.h"
#include "scir/dist/process_grid.h"
#include "scir/io/run_directory.h"
#include "scir/pipeline/self_rewarding_plan.h"
#include "scir/rewards/grm.h"
#include "scir/rewards/grm_pointwise.h"

namespace scir {

// The pairwise judge, the pointwise one where the GRM is pointwise, and SRLM's offline scorer.
class IterationJudges {
 public:
  IterationJudges(const Tokenizer& tokenizer, ChatTemplate chat_template,
                  const SelfRewardingPlan& plan);
  IterationJudges(const IterationJudges&) = delete;  // the judges point into their templates
  IterationJudges& operator=(const IterationJudges&) = delete;
  const Tokenizer& tokenizer() const { return pairwise_.tokenizer; }
  const PairwiseJudge& pairwise() const { return pairwise_; }
  const PointwiseJudge* pointwise() const {  // null unless scir.grm = pointwise
    return pointwise_ ? &pointwise_->judge() : nullptr;
  }
  const JudgeTemplate* sampled_template() const { return sampled_template_.get(); }

 private:
  JudgeTemplate pairwise_template_;
  PairwiseJudge pairwise_;
  std::unique_ptr<LoadedPointwiseJudge> pointwise_;
  std::unique_ptr<JudgeTemplate> sampled_template_;
};

struct IterationContext {
  const ProcessGrid& grid;
  const RunDirectory& run;
  const SelfRewardingPlan& plan;
  const IterationJudges& judges;
  const world::World* world;                // null without an oracle (a user's model)
  int t;                                    // the iteration: trains M(t) into M(t+1)
  const std::vector<std::string>& prompts;  // the iteration's prompt pool

  std::string name() const { return "iter_" + std::to_string(t); }
  // "iter_<t>.<phase>", the phase's marker and its prefix in log lines.
  std::string phase(const char* phase) const { return name() + "." + phase; }
  Comm& copies() const { return grid.data(); }  // work and its reductions
  Comm& job() const { return grid.job(); }      // markers, barriers, files (rank 0 writes)
  bool done(const char* phase, const PhaseOutputs& outputs = {}) const;
  // After a phase's output is written: rank 0 writes the marker, every rank waits for it.
  void mark_done(const char* phase) const;
};

}  // namespace scir
