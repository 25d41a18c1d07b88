// Label (METHOD.md section 2, phase 3, and section 5): the methods whose labels are fixed before
// training, srlm and oracle, label every pair once (1: response 1 preferred, 0: response 2, -1: a
// tie, not trained on). SRLM with a scorer put each prompt's best-scored response first; SRLM
// without one follows P_G before training; oracle follows the oracle's qualities. The online
// methods label at every step instead (scir_step) and keep -1 here.
#pragma once

#include "scir/pipeline/iteration_pairs.h"

namespace scir {

void label_phase(const IterationContext& context, IterationPairs& pairs);

}  // namespace scir
