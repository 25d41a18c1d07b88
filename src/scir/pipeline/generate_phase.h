// Generate (METHOD.md section 2, phase 1): M(t) samples N responses to each prompt of the pool
// (prompts sharded over the model copies) and every distinct pair of them becomes a training
// pair (or K random ones a prompt); SRLM with a scorer pairs each prompt's best-scored response
// against its worst instead. The pairs, gathered in pair order and dealt out again evenly,
// start the pair store: ids, texts, lengths, oracle qualities.
#pragma once

#include "scir/model/transformer.h"
#include "scir/pipeline/iteration_pairs.h"

namespace scir {

IterationPairs generate_phase(const IterationContext& context, Transformer& policy);

}  // namespace scir
