// Reference (METHOD.md section 2, phase 2): the reference model's log-probabilities of both
// responses of each pair, cached for the whole iteration, and the two reward models of M(t)
// before any training, P_G and P_I of each pair (provenance, and the label of SRLM without a
// scorer).
#pragma once

#include "scir/model/transformer.h"
#include "scir/pipeline/iteration_pairs.h"

namespace scir {

void reference_phase(const IterationContext& context, Transformer& policy, Transformer& reference,
                     IterationPairs& pairs);

}  // namespace scir
