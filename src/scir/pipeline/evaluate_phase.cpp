#include "scir/pipeline/evaluate_phase.h"

#include "scir/core/errors.h"
#include "scir/core/logging.h"
#include "scir/eval/evaluation_record.h"
#include "scir/io/h5_group.h"
#include "scir/io/run_contract.h"

namespace scir {
namespace {

double mean_of(const std::vector<double>& values) {
  if (values.empty()) return 0;
  double total = 0;
  for (double v : values) total += v;
  return total / static_cast<double>(values.size());
}

// The iteration's own fields of the record (run_contract::kIterationFields), from the pair
// store and the steps that run.h5 holds.
std::map<std::string, double> iteration_fields(const IterationContext& context) {
  const std::string group = run_contract::iteration_group(context.t);
  const H5Group pairs = read_h5_group(context.run.h5(), group + "/pairs");
  const H5Group steps = read_h5_group(context.run.h5(), group + "/steps");
  const std::vector<double>& p_grm0 = pairs.columns.at("p_grm0");
  const std::vector<double>& p_irm0 = pairs.columns.at("p_irm0");
  double agreeing = 0;
  for (size_t i = 0; i < p_grm0.size(); ++i)
    agreeing += (p_grm0[i] - 0.5) * (p_irm0[i] - 0.5) > 0 ? 1 : 0;
  const double count = static_cast<double>(p_grm0.size());
  const ScirMethod method = context.plan.scir.method;
  const bool online_grm = method != ScirMethod::kLabelled && method != ScirMethod::kIrmOnly;
  return {
      {"pairs", count},
      {"agreement_start", agreeing / std::max(1.0, count)},
      {"train_consistency_rate", online_grm ? mean_of(steps.columns.at("consistency_rate")) : -1},
      {"train_kept_share", mean_of(steps.columns.at("kept_share"))},
      {"srlm_judgements", pairs.numbers.at("srlm_judgements")},
      {"srlm_parse_failures", pairs.numbers.at("srlm_parse_failures")}};
}

}  // namespace

void evaluate_phase(const IterationContext& context, Transformer& trained, Transformer& m1,
                    Transformer& reference, const EvaluationData& data) {
  const IterationJudges& judges = context.judges;
  const std::string prefix = "[" + context.name() + "] M" + std::to_string(context.t + 1);
  WorldEvaluation evaluation = no_evaluation();
  if (context.world) {
    evaluation = evaluate_world(
        context.copies(), trained, &m1, &reference,
        {*context.world, judges.pairwise(), data.prompts, data.heldout, judges.pointwise()},
        context.plan.eval);
    log_info(prefix + "\n" + format_world_evaluation(evaluation));
  } else if (!data.heldout.empty()) {
    evaluate_reward_models(context.copies(), trained, &reference, judges.pairwise(),
                           judges.pointwise(), data.heldout, context.plan.eval, &evaluation);
    log_info(cat(prefix, " on the labelled pairs: judge accuracy ", evaluation.acc_grm,
                 ", implicit reward accuracy ", evaluation.acc_irm));
  }
  if (context.job().rank() == 0) {
    H5Group group;
    group.numbers = evaluation_record(evaluation);
    for (const auto& [name, value] : iteration_fields(context)) group.numbers[name] = value;
    write_h5_group(context.run.h5(), run_contract::iteration_group(context.t) + "/eval", group);
    context.run.mark_done(context.name());
  }
  context.job().barrier();
}

}  // namespace scir
