#include "scir/rewards/agreement_stats.h"

#include <algorithm>
#include <cmath>

namespace scir {
namespace {

void sum_over_ranks(Comm& comm, std::vector<double>& values) {
  torch::Tensor tensor = torch::tensor(values, torch::kFloat64);
  comm.all_reduce(tensor, ReduceOp::kSum);
  for (size_t i = 0; i < values.size(); ++i) values[i] = tensor[i].item<double>();
}

}  // namespace

void CalibrationBins::add(double p, bool label) {
  const int bin = std::clamp(static_cast<int>(p * kBins), 0, kBins - 1);
  count_[bin] += 1;
  sum_p_[bin] += p;
  sum_label_[bin] += label ? 1 : 0;
}

void CalibrationBins::all_reduce(Comm& comm) {
  sum_over_ranks(comm, count_);
  sum_over_ranks(comm, sum_p_);
  sum_over_ranks(comm, sum_label_);
}

double CalibrationBins::expected_calibration_error() const {
  double total = 0, error = 0;
  for (int b = 0; b < kBins; ++b) total += count_[b];
  if (total == 0) return 0;
  for (int b = 0; b < kBins; ++b) {
    if (count_[b] == 0) continue;
    error += count_[b] / total * std::abs(sum_p_[b] / count_[b] - sum_label_[b] / count_[b]);
  }
  return error;
}

void AgreementStats::add(double p_grm, double p_irm, bool first_better) {
  pairs += 1;
  if ((p_grm - 0.5) * (p_irm - 0.5) > 0) {
    agree += 1;
    agree_correct += (p_grm > 0.5) == first_better ? 1 : 0;
  }
}

void AgreementStats::all_reduce(Comm& comm) {
  std::vector<double> values = {pairs, agree, agree_correct};
  sum_over_ranks(comm, values);
  pairs = values[0];
  agree = values[1];
  agree_correct = values[2];
}

}  // namespace scir
