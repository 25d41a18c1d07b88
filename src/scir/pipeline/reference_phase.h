// Reference (METHOD.md section 2, phase 2): the reference model's log-probabilities of both
// responses of each pair, cached for the whole iteration, and the two reward models of M(t)
// before any training, P_G and P_I of each pair (provenance, and the label of SRLM without a
// scorer). With scir.cons_stopgrad = reliable, also both reward models' accuracy on the labelled
// held-out pairs (attributes acc_grm_heldout0 and acc_irm_heldout0 of /iter_t/pairs), which
// decides the iteration's direction of the consistency pull.
#pragma once

#include "scir/data/labelled_pairs.h"
#include "scir/model/transformer.h"
#include "scir/pipeline/iteration_pairs.h"

namespace scir {

void reference_phase(const IterationContext& context, Transformer& policy, Transformer& reference,
                     IterationPairs& pairs, const std::vector<LabelledPair>& heldout);

// The side of the consistency loss held fixed in iteration t: scir.cons_stopgrad, or for
// `reliable` the side the reference phase's accuracies choose (read from run.h5; collective).
ConsistencyStopGrad consistency_pull(const IterationContext& context);

}  // namespace scir
