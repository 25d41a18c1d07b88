// Dynamic selection (METHOD.md section 4.4), no gradient: a pair is kept when both internal
// reward models prefer the same response and both are at least delta away from indifference:
//     (P_G - 1/2)(P_I - 1/2) > 0  and  min(|P_G - 1/2|, |P_I - 1/2|) >= delta
// and labelled by the agreed direction. When the implicit reward is tied (|P_I - 1/2| < 1e-3,
// e.g. at the first step with irm_ref = current) the tie rule decides: `grm` keeps the pair
// with the GRM's label (when |P_G - 1/2| >= delta and P_G != 1/2), `drop` drops it.
#pragma once

#include <string>
#include <vector>

namespace scir {

enum class TieRule { kGrm, kDrop };
// The rules by name ("grm", "drop"), in the order help texts list them.
const std::vector<std::pair<std::string, TieRule>>& tie_rule_names();

constexpr double kIrmTieWidth = 1e-3;

struct PairSelection {
  std::vector<bool> keep;
  std::vector<int> label;  // 1: the first response is preferred, 0: the second; -1 when dropped
  int agreements = 0;      // pairs on which GRM and IRM prefer the same response
};

PairSelection select_pairs(const std::vector<double>& p_grm, const std::vector<double>& p_irm,
                           double delta, TieRule tie_rule);

}  // namespace scir
