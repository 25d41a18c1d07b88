#include "scir/eval/evaluation_record.h"

#include "scir/core/errors.h"
#include "scir/io/run_contract.h"

namespace scir {
namespace {

constexpr double kNotMeasured = WorldEvaluation::kNotMeasured;
constexpr const char* kFamilyPrefix = "quality_";

// The record's scalars and where WorldEvaluation keeps them (own_pairs is a count).
double* field(WorldEvaluation& e, const std::string& name) {
  const std::pair<const char*, double*> fields[] = {{"win_rate_vs_m1", &e.win_rate_vs_m1},
                                                    {"win_rate_ci95", &e.win_rate_ci95},
                                                    {"mean_quality", &e.mean_quality},
                                                    {"exact_share", &e.exact_share},
                                                    {"mean_length", &e.mean_length},
                                                    {"acc_grm", &e.acc_grm},
                                                    {"acc_grm_own", &e.acc_grm_own},
                                                    {"acc_irm", &e.acc_irm},
                                                    {"acc_agree", &e.acc_agree},
                                                    {"agree_share", &e.agree_share},
                                                    {"ece_grm", &e.ece_grm},
                                                    {"ece_irm", &e.ece_irm}};
  for (const auto& [field_name, value] : fields) {
    if (name == field_name) return value;
  }
  return nullptr;
}

}  // namespace

WorldEvaluation no_evaluation() {
  WorldEvaluation evaluation;
  for (const run_contract::Column& column : run_contract::kEvaluationFields) {
    if (double* value = field(evaluation, column.name)) *value = kNotMeasured;
  }
  evaluation.baseline_quality = kNotMeasured;
  return evaluation;
}

std::map<std::string, double> evaluation_record(const WorldEvaluation& evaluation) {
  WorldEvaluation copy = evaluation;
  std::map<std::string, double> record;
  for (const run_contract::Column& column : run_contract::kEvaluationFields) {
    const std::string name = column.name;
    if (name == "own_pairs") {
      record[name] = static_cast<double>(evaluation.own_pairs);
    } else if (double* value = field(copy, name)) {
      record[name] = *value;
    } else {
      throw InternalError("evaluation record: no field for " + name);
    }
  }
  for (const auto& [family, quality] : evaluation.quality_by_family)
    record[kFamilyPrefix + family] = quality;
  return record;
}

WorldEvaluation evaluation_from_record(const std::map<std::string, double>& record) {
  WorldEvaluation evaluation = no_evaluation();
  for (const auto& [name, value] : record) {
    if (name == "own_pairs") {
      evaluation.own_pairs = static_cast<int64_t>(value);
    } else if (double* target = field(evaluation, name)) {
      *target = value;
    } else if (name.rfind(kFamilyPrefix, 0) == 0) {
      evaluation.quality_by_family[name.substr(std::string(kFamilyPrefix).size())] = value;
    }
  }
  return evaluation;
}

nlohmann::json evaluation_json(const WorldEvaluation& evaluation) {
  nlohmann::json json;
  for (const auto& [name, value] : evaluation_record(evaluation)) json[name] = value;
  json["acc_grm_own_by_family"] = evaluation.acc_grm_own_by_family;
  json["own_pairs_by_family"] = evaluation.own_pairs_by_family;
  return json;
}

}  // namespace scir
