// Statistics of the two internal reward models against each other and against an external
// judge (METHOD.md section 6): agreement and calibration.
#pragma once

#include <vector>

#include "scir/dist/comm.h"

namespace scir {

// Expected calibration error of P(first > second) against 0/1 labels, with 10 equal-width bins:
// sum over bins of (count / total) |mean p - mean label|. Sums are reduced over ranks.
class CalibrationBins {
 public:
  static constexpr int kBins = 10;
  CalibrationBins() : count_(kBins, 0), sum_p_(kBins, 0), sum_label_(kBins, 0) {}
  void add(double p, bool label);
  void all_reduce(Comm& comm);
  double expected_calibration_error() const;

 private:
  std::vector<double> count_, sum_p_, sum_label_;
};

// On pairs labelled by an external judge (q_first != q_second): how often the two models
// prefer the same response, and how often that shared preference is right.
struct AgreementStats {
  double pairs = 0, agree = 0, agree_correct = 0;
  void add(double p_grm, double p_irm, bool first_better);
  void all_reduce(Comm& comm);
  double agree_share() const { return pairs > 0 ? agree / pairs : 0; }
  double acc_agree() const { return agree > 0 ? agree_correct / agree : 0; }
};

}  // namespace scir
