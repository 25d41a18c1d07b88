// Train (METHOD.md section 2, phase 4): E epochs over the iteration's pairs, each rank walking
// its share (reshuffled each epoch) in the same number of steps, each step the SCIR step (or a
// baseline's, train/scir_step) with gradients averaged over the model copies, clipping and
// AdamW on a warm-up schedule. Restart states every state_every steps let a rerun go on from
// the newest one. Ends with M(t+1) saved to RUN/ckpt/iter_<t>/final, a row a step in
// /iter_<t>/steps, and each pair's last label and step in the pair store.
#pragma once

#include <memory>

#include "scir/model/lora_adapter.h"
#include "scir/model/transformer.h"
#include "scir/pipeline/iteration_pairs.h"

namespace scir {

// `policy_directory` is M(t)'s, the base a LoRA adapter (plan.lora) is written for. With LoRA
// and `keep_adapter`, M(t+1)'s checkpoint is written merged while the policy stays M(t) with
// the adapter on, which is returned: M(t) is still there as the adapter switched off. Otherwise
// the adapter is merged into the policy and nullptr returned.
std::unique_ptr<LoraAdapter> train_phase(const IterationContext& context, Transformer& policy,
                                         IterationPairs& pairs, const std::string& policy_directory,
                                         bool keep_adapter);

}  // namespace scir
