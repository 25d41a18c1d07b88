// One SCIR training step on a batch of unlabelled pairs (METHOD.md section 4, its numbering),
// and the labelled-DPO step its baselines share (section 5). All quantities use the current
// parameters, with gradients:
//   4.1 P_I: the implicit reward r = beta [log pi(y|x) - log pi_ref(y|x)], P_I = sigmoid(r1 - r2)
//       (r / |y| with irm_length_norm, for consistency and selection only).
//   4.2 P_G: the judge on both orders of each pair (position-debiased).
//   4.3 L_cons = L_sym + gamma L_ent per pair (stop-gradient on neither side, the GRM or the IRM);
//       with a confidence gate g > 0, only pairs where both |P_G - 1/2| and |P_I - 1/2| reach g
//       (measured without gradient) enter it, still averaged over all pairs.
//   4.4 Selection (no gradient): keep pairs where both agree by at least delta; tie rule.
//   4.5 L_DPO on the kept pairs, labelled by the agreed direction.
//   4.6 L = mean over kept of L_DPO + lambda mean over all of L_cons
//           + nll_weight x mean NLL a token of the chosen responses.
// The method's row (train/method_row.h) picks the labels and whether L_cons is in the loss:
// agreement (scir, scir_no_cons), every pair by sign(p_bar - 1/2) (scir_no_select), one model
// (irm_only, grm_online), or labels fixed before training (srlm and oracle: plain DPO). Two collectives a step: the counts that normalise the loss, and the
// statistics.
#pragma once

#include <string>
#include <vector>

#include "scir/dist/comm.h"
#include "scir/rewards/consistency.h"
#include "scir/rewards/grm.h"
#include "scir/rewards/grm_pointwise.h"
#include "scir/rewards/selection.h"
#include "scir/train/dpo_loss.h"
#include "scir/train/method_row.h"

namespace scir {

struct ScirSettings {
  MethodRow method;  // scir's row
  double beta = 0.1;
  double gamma = 0.1;
  double lambda = 1.0;
  double delta = 0.0;
  double cons_gate = 0.0;  // confidence both reward models need for a pair to enter L_cons
  double nll_weight = 0.0;
  bool irm_length_norm = false;
  bool pointwise_grm = false;  // grm = pointwise: P_G from expected scores (needs a PointwiseJudge)
  ConsistencyStopGrad stop_grad = ConsistencyStopGrad::kNone;
  TieRule tie_rule = TieRule::kGrm;
  DpoLoss dpo;  // its beta is set from `beta`
  // What the backward's loss is multiplied by: the optimiser's float16 loss scale
  // (DataParallelOptimizer::loss_scale), else 1. The reported losses are unscaled.
  double loss_scale = 1.0;
};

// An unlabelled pair with its cached reference log-probabilities.
struct TrainingPair {
  std::string instruction;                    // for the judge prompt
  std::vector<int64_t> prompt;                // policy prompt ids (BOS + chat template)
  std::string text1, text2;                   // the responses as text (judge prompt)
  std::vector<int64_t> response1, response2;  // ids, EOS included
  double ref_logp1 = 0, ref_logp2 = 0;
  int fixed_label = -1;  // labelled methods: 1 if response 1 is preferred, 0 if response 2
};

struct ScirStepStats {
  double pairs = 0, kept = 0, agreements = 0;  // counts over all ranks
  double gated = 0;                            // pairs that entered L_cons, over all ranks
  double loss = 0, loss_dpo = 0, loss_sym = 0, loss_ent = 0;
  double margin = 0;       // mean h / beta (chosen - rejected log-ratio) over kept pairs
  double logp_chosen = 0;  // mean log pi of kept chosen / rejected responses
  double logp_rejected = 0;
  double tokens = 0;                 // response and judge tokens through the model
  std::vector<double> p_grm, p_irm;  // this rank's pairs
  std::vector<int> kept_label;       // this rank's pairs: 1, 0, or -1 when not kept
};

// Computes the loss of this rank's pairs, normalised by the counts over all ranks, and runs
// backward (gradients still to be averaged over ranks). Returns the step's statistics.
// `pointwise` is used (and must be given) when settings.pointwise_grm is set.
ScirStepStats scir_step(Transformer& policy, const PairwiseJudge& judge,
                        const std::vector<TrainingPair>& pairs, const ScirSettings& settings,
                        Comm& comm, const PointwiseJudge* pointwise = nullptr);

}  // namespace scir
