// Evaluate (METHOD.md section 2, phase 5, and section 6): M(t+1) against M1 in the embedded world
// (oracle quality, win rate, both reward models' accuracy and calibration with the iteration's
// reference for the IRM), or on a user's labelled pairs alone. Its record, /iter_<t>/eval, also
// sums up the iteration from the pair store and the steps; the iteration's DONE marker comes last.
#pragma once

#include <vector>

#include "scir/data/labelled_pairs.h"
#include "scir/model/reference_model.h"
#include "scir/model/transformer.h"
#include "scir/pipeline/iteration_context.h"

namespace scir {

struct EvaluationData {
  std::vector<std::string> prompts;   // held-out prompts (world only)
  std::vector<LabelledPair> heldout;  // labelled pairs for reward accuracy (may be empty)
};

void evaluate_phase(const IterationContext& context, Transformer& trained, Transformer& m1,
                    const ReferenceModel& reference, const EvaluationData& data);

}  // namespace scir
