// The win rate's interval and the one-line verdict `scir_hpc run` prints for each model.
#include <gtest/gtest.h>

#include <cmath>

#include "scir/eval/world_eval.h"
#include "scir/pipeline/iteration_summary.h"

namespace scir {
namespace {

TEST(WinRateInterval, IsTheNormalIntervalOfThePerPromptOutcomes) {
  // Outcomes 1, 1, 1/2, 0, 1: mean 0.7, sample variance (3.25 - 5 x 0.49) / 4 = 0.2, standard
  // error sqrt(0.2 / 5) = 0.2.
  EXPECT_NEAR(win_rate_ci95(0.7, 3.25, 5), 1.96 * 0.2, 1e-12);
  // All ties: no spread, no interval.
  EXPECT_DOUBLE_EQ(win_rate_ci95(0.5, 200 * 0.25, 200), 0.0);
  EXPECT_TRUE(std::isnan(win_rate_ci95(1.0, 1.0, 1)));
}

IterationSummary iteration_with(double win_rate, double ci95, double quality) {
  IterationSummary summary;
  summary.iteration = 1;
  summary.eval.win_rate_vs_m1 = win_rate;
  summary.eval.win_rate_ci95 = ci95;
  summary.eval.mean_quality = quality;
  return summary;
}

TEST(SummaryVerdict, SaysBetterOrWorseOnlyBeyondTheInterval) {
  WorldEvaluation m1;
  m1.mean_quality = 0.58;
  EXPECT_EQ(summary_verdict(m1, iteration_with(0.652, 0.05, 0.664)),
            "M2: better than M1 on the held-out prompts (win rate 0.652 +- 0.050, 95%); oracle "
            "quality 0.580 -> 0.664");
  EXPECT_EQ(summary_verdict(m1, iteration_with(0.44, 0.05, 0.55)),
            "M2: worse than M1 on the held-out prompts (win rate 0.440 +- 0.050, 95%); oracle "
            "quality 0.580 -> 0.550");
  EXPECT_EQ(summary_verdict(m1, iteration_with(0.54, 0.05, 0.60)),
            "M2: no clear difference from M1 on the held-out prompts (win rate 0.540 +- 0.050, "
            "95%); oracle quality 0.580 -> 0.600");
}

}  // namespace
}  // namespace scir
