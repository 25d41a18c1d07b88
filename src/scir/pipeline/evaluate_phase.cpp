#include "scir/pipeline/evaluate_phase.h"

#include <cmath>

#include "scir/core/errors.h"
#include "scir/core/logging.h"
#include "scir/eval/evaluation_record.h"
#include "scir/io/h5_group.h"
#include "scir/io/run_contract.h"
#include "scir/pipeline/iteration_pairs.h"

namespace scir {
namespace {

double mean_of(const std::vector<double>& values) {
  if (values.empty()) return 0;
  double total = 0;
  for (double v : values) total += v;
  return total / static_cast<double>(values.size());
}

// The oracle's view of the iteration's pairs (NaN without an oracle): the share of pairs whose
// responses differ in quality, and on those how often P_G and P_I before training, their
// agreement, and the labels of each pair's last training step prefer the better response.
// Without an implicit reward before training (irm_measured false: it is 0 on every pair, its
// reference being the policy), the fields of P_I and of the agreement stay "not measured".
std::map<std::string, double> oracle_pair_fields(const H5Group& pairs, bool irm_measured) {
  const std::vector<double>& q1 = pairs.columns.at("oracle_q1");
  const std::vector<double>& q2 = pairs.columns.at("oracle_q2");
  const std::vector<double>& p_grm0 = pairs.columns.at("p_grm0");
  const std::vector<double>& p_irm0 = pairs.columns.at("p_irm0");
  const std::vector<double>& label_last = pairs.columns.at("label_last");
  std::map<std::string, double> fields = {
      {"pairs_informative_share", kNoOracle}, {"acc_grm0_pairs", kNoOracle},
      {"acc_irm0_pairs", kNoOracle},          {"agree0_share_pairs", kNoOracle},
      {"acc_agree0_pairs", kNoOracle},        {"acc_labels_last_pairs", kNoOracle}};
  if (q1.empty() || std::isnan(q1[0])) return fields;
  std::vector<double> agreed, agreed_q1, agreed_q2, labels, labelled_q1, labelled_q2;
  for (size_t i = 0; i < q1.size(); ++i) {
    if ((p_grm0[i] - 0.5) * (p_irm0[i] - 0.5) > 0) {
      agreed.push_back(p_grm0[i]);
      agreed_q1.push_back(q1[i]);
      agreed_q2.push_back(q2[i]);
    }
    if (label_last[i] >= 0) {
      labels.push_back(label_last[i]);
      labelled_q1.push_back(q1[i]);
      labelled_q2.push_back(q2[i]);
    }
  }
  const auto share = [](const std::pair<double, double>& credit) {
    return credit.second > 0 ? credit.first / credit.second : kNoOracle;
  };
  const auto informative = preference_accuracy(p_grm0, q1, q2);
  const auto agreeing = preference_accuracy(agreed, agreed_q1, agreed_q2);
  fields["pairs_informative_share"] = informative.second / static_cast<double>(q1.size());
  fields["acc_grm0_pairs"] = share(informative);
  fields["acc_labels_last_pairs"] = share(preference_accuracy(labels, labelled_q1, labelled_q2));
  if (!irm_measured) return fields;
  fields["acc_irm0_pairs"] = share(preference_accuracy(p_irm0, q1, q2));
  fields["agree0_share_pairs"] =
      informative.second > 0 ? agreeing.second / informative.second : kNoOracle;
  fields["acc_agree0_pairs"] = share(agreeing);
  return fields;
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
  const bool online_grm = context.plan.scir.method.judge_in_step();
  const bool irm_measured = !reference_is_current(context.plan, context.t);
  std::map<std::string, double> fields = {
      {"pairs", count},
      {"agreement_start",
       irm_measured ? agreeing / std::max(1.0, count) : WorldEvaluation::kNotMeasured},
      {"train_consistency_rate", online_grm ? mean_of(steps.columns.at("consistency_rate")) : -1},
      {"train_kept_share", mean_of(steps.columns.at("kept_share"))},
      {"srlm_judgements", pairs.numbers.at("srlm_judgements")},
      {"srlm_parse_failures", pairs.numbers.at("srlm_parse_failures")}};
  // The held-out accuracies that chose the consistency pull's direction (reliable only).
  for (const char* name : {"acc_grm_heldout0", "acc_irm_heldout0"}) {
    const auto found = pairs.numbers.find(name);
    fields[name] = found != pairs.numbers.end() ? found->second : WorldEvaluation::kNotMeasured;
  }
  fields.merge(oracle_pair_fields(pairs, irm_measured));
  return fields;
}

}  // namespace

void evaluate_phase(const IterationContext& context, Transformer& trained, Transformer& m1,
                    const ReferenceModel& reference, const EvaluationData& data) {
  const IterationJudges& judges = context.judges;
  const std::string prefix = "[" + context.name() + "] M" + std::to_string(context.t + 1);
  WorldEvaluation evaluation = no_evaluation();
  if (context.world) {
    evaluation = evaluate_world(
        context.copies(), trained, &m1, reference,
        {*context.world, judges.pairwise(), data.prompts, data.heldout, judges.pointwise()},
        context.plan.eval);
    log_info(prefix + "\n" + format_world_evaluation(evaluation));
  } else if (!data.heldout.empty()) {
    evaluate_reward_models(context.copies(), trained, reference, judges.pairwise(),
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
