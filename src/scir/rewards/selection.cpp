#include "scir/rewards/selection.h"

#include <algorithm>
#include <cmath>

#include "scir/core/errors.h"

namespace scir {

const std::vector<std::pair<std::string, TieRule>>& tie_rule_names() {
  static const std::vector<std::pair<std::string, TieRule>> names = {{"grm", TieRule::kGrm},
                                                                     {"drop", TieRule::kDrop}};
  return names;
}

PairSelection select_pairs(const std::vector<double>& p_grm, const std::vector<double>& p_irm,
                           double delta, TieRule tie_rule) {
  if (p_grm.size() != p_irm.size())
    throw InternalError("select_pairs: P_G and P_I differ in length");
  PairSelection selection;
  for (size_t i = 0; i < p_grm.size(); ++i) {
    const double g = p_grm[i] - 0.5, r = p_irm[i] - 0.5;
    bool keep = false;
    int label = -1;
    if (g * r > 0) ++selection.agreements;
    if (std::abs(r) < kIrmTieWidth) {
      keep = tie_rule == TieRule::kGrm && g != 0 && std::abs(g) >= delta;
      if (keep) label = g > 0 ? 1 : 0;
    } else if (g * r > 0 && std::min(std::abs(g), std::abs(r)) >= delta) {
      keep = true;
      label = g > 0 ? 1 : 0;
    }
    selection.keep.push_back(keep);
    selection.label.push_back(label);
  }
  return selection;
}

}  // namespace scir
