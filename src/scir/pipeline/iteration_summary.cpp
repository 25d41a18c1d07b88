#include "scir/pipeline/iteration_summary.h"

#include <cmath>
#include <sstream>

#include "scir/eval/evaluation_record.h"
#include "scir/io/h5_group.h"
#include "scir/io/run_contract.h"

namespace scir {

IterationSummary read_iteration_summary(const RunDirectory& run, int t) {
  const H5Group eval = read_h5_group(run.h5(), run_contract::iteration_group(t) + "/eval");
  IterationSummary summary;
  summary.iteration = t;
  summary.eval = evaluation_from_record(eval.numbers);
  summary.consistency_rate = eval.numbers.at("train_consistency_rate");
  summary.pairs = eval.numbers.at("pairs");
  summary.agreement_start = eval.numbers.at("agreement_start");
  summary.kept_share = eval.numbers.at("train_kept_share");
  return summary;
}

std::string format_summary_table(const WorldEvaluation& m1,
                                 const std::vector<IterationSummary>& iterations) {
  // The record's names head the columns (run_contract); each cell is as wide as its name.
  const char* names[] = {
      "model",   "win_rate_vs_m1",  "mean_quality",           "acc_grm",
      "acc_irm", "agreement_start", "train_consistency_rate", "train_kept_share"};
  std::ostringstream out;
  const auto cell = [&](size_t column, double value) {
    std::ostringstream text;
    text.setf(std::ios::fixed);
    text.precision(3);
    if (value < 0 || std::isnan(value)) {
      text << "-";
    } else {
      text << value;
    }
    std::string padded = text.str();
    padded.resize(std::max(padded.size(), std::string(names[column]).size()) + 2, ' ');
    out << padded;
  };
  for (const char* name : names) out << name << "  ";
  out << "\n";
  const auto row = [&](const std::string& model, const std::vector<double>& values) {
    std::string label = model;
    label.resize(std::string(names[0]).size() + 2, ' ');
    out << label;
    for (size_t c = 0; c < values.size(); ++c) cell(c + 1, values[c]);
    out << "\n";
  };
  row("M1", {0.5, m1.mean_quality, m1.acc_grm, m1.acc_irm, -1, -1, -1});
  for (const IterationSummary& s : iterations) {
    row("M" + std::to_string(s.iteration + 1),
        {s.eval.win_rate_vs_m1, s.eval.mean_quality, s.eval.acc_grm, s.eval.acc_irm,
         s.agreement_start, s.consistency_rate, s.kept_share});
  }
  for (const IterationSummary& s : iterations) out << summary_verdict(m1, s) << "\n";
  return out.str();
}

std::string summary_verdict(const WorldEvaluation& m1, const IterationSummary& iteration) {
  const WorldEvaluation& e = iteration.eval;
  // Better or worse only when the 95% interval over the prompts excludes a coin flip.
  const char* verdict = e.win_rate_vs_m1 - e.win_rate_ci95 > 0.5   ? "better than M1"
                        : e.win_rate_vs_m1 + e.win_rate_ci95 < 0.5 ? "worse than M1"
                                                                   : "no clear difference from M1";
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(3);
  out << "M" << iteration.iteration + 1 << ": " << verdict << " on the held-out prompts (win rate "
      << e.win_rate_vs_m1 << " +- " << e.win_rate_ci95 << ", 95%); oracle quality "
      << m1.mean_quality << " -> " << e.mean_quality;
  return out.str();
}

}  // namespace scir
