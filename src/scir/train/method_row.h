// A method as one row of switches (docs/METHOD.md section 5): where its labels come from and
// whether its loss has the consistency term. The study's other switches are settings of their
// own that apply to every row they make sense for: the selection margin (scir.delta), the
// confidence gate (scir.cons_gate), the pull's direction (scir.cons_stopgrad) and the implicit
// reward's reference (scir.irm_ref). A new variant is a row of method_rows() and a test.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace scir {

enum class LabelSource {
  kAgreement,       // both reward models prefer the same response, by delta (SCIR's selection)
  kMeanPreference,  // sign of (P_G + P_I) / 2 - 1/2, on every pair
  kImplicitReward,  // sign of P_I - 1/2 (pairs with P_I = 1/2 dropped)
  kJudge,           // sign of P_G - 1/2, the judge as it trains
  kSrlm,            // the judge's labels, fixed before training (plain DPO)
  kOracle,          // the oracle's labels, fixed before training (plain DPO)
};

struct MethodRow {
  LabelSource labels = LabelSource::kAgreement;
  bool consistency = true;  // lambda L_cons in the loss

  // Labels fixed before training: the step is plain DPO with the model itself as reference.
  bool labels_fixed() const {
    return labels == LabelSource::kSrlm || labels == LabelSource::kOracle;
  }
  // The judge's P_G is computed during training (for labels or for L_cons).
  bool judge_in_step() const {
    return !labels_fixed() && (labels != LabelSource::kImplicitReward || consistency);
  }
  bool operator==(const MethodRow& other) const {
    return labels == other.labels && consistency == other.consistency;
  }
};

// The named methods, in the order help texts list them: scir, scir_no_cons, scir_no_select,
// irm_only, grm_online, srlm, oracle.
const std::vector<std::pair<std::string, MethodRow>>& method_rows();

}  // namespace scir
