#include "scir/train/method_row.h"

namespace scir {

const std::vector<std::pair<std::string, MethodRow>>& method_rows() {
  static const std::vector<std::pair<std::string, MethodRow>> rows = {
      {"scir", {LabelSource::kAgreement, true}},
      {"scir_no_cons", {LabelSource::kAgreement, false}},
      {"scir_no_select", {LabelSource::kMeanPreference, true}},
      {"irm_only", {LabelSource::kImplicitReward, false}},
      {"grm_online", {LabelSource::kJudge, false}},
      {"srlm", {LabelSource::kSrlm, false}},
      {"oracle", {LabelSource::kOracle, false}}};
  return rows;
}

}  // namespace scir
