// The evaluation record: a WorldEvaluation under the names of run_contract::kEvaluationFields
// (plus quality_<family>), the one set of names that run.h5's /sft/eval and /iter_<t>/eval
// attributes, `scir_hpc eval`'s JSON line and the summary table use. A field not measured (no
// oracle, no baseline, no reference model) is NaN, in JSON null.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "scir/eval/world_eval.h"

namespace scir {

// Every field not measured.
WorldEvaluation no_evaluation();

std::map<std::string, double> evaluation_record(const WorldEvaluation& evaluation);
// Fields the record lacks stay not measured.
WorldEvaluation evaluation_from_record(const std::map<std::string, double>& record);
// The record, and the per-family judge accuracies and own-pair counts.
nlohmann::json evaluation_json(const WorldEvaluation& evaluation);

}  // namespace scir
