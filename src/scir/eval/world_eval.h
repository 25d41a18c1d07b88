// Evaluation of a model in the embedded world (METHOD.md section 6), sharded over ranks:
// greedy answers to held-out prompts scored by the oracle (mean quality by family, exact
// share, length, win rate against a baseline: win when q is higher, a tie counts one half);
// the pairwise judge's accuracy on held-out oracle-labelled pairs and on pairs of the model's
// own samples; with a reference model, the implicit reward's accuracy on the held-out pairs.
#pragma once

#include <limits>
#include <map>
#include <string>
#include <vector>

#include "scir/data/labelled_pairs.h"
#include "scir/data/world/world.h"
#include "scir/dist/comm.h"
#include "scir/model/reference_model.h"
#include "scir/rewards/grm.h"
#include "scir/rewards/grm_pointwise.h"

namespace scir {

struct WorldEvalSettings {
  int64_t batch_size = 32;
  int64_t max_new_tokens = 32;
  int own_samples = 4;  // samples a prompt for the judge's own-sample pairs
  double own_temperature = 1.0;
  double own_top_p = 1.0;
  uint64_t seed = 0;
  double beta = 0.1;  // of the implicit reward
  // The GRM to evaluate (METHOD.md section 3): pairwise, or pointwise with temperature tau.
  bool pointwise_grm = false;
  double tau = 1.0;
};

// Fields not measured (no baseline, no reference model, no oracle) are NaN; the names are the
// evaluation record's (eval/evaluation_record, io/run_contract).
struct WorldEvaluation {
  static constexpr double kNotMeasured = std::numeric_limits<double>::quiet_NaN();
  std::map<std::string, double> quality_by_family;
  double mean_quality = 0, exact_share = 0, mean_length = 0;
  double win_rate_vs_m1 = kNotMeasured;  // against the baseline (M1 in a run)
  // Half-width of its 95% interval over the prompts (normal approximation of the mean of the
  // per-prompt outcomes 1, 1/2, 0): whether a win rate differs from 1/2 beyond prompt sampling.
  double win_rate_ci95 = kNotMeasured;
  double baseline_quality = kNotMeasured;
  double acc_grm = 0;      // on the held-out labelled pairs
  double acc_grm_own = 0;  // on pairs of the model's own samples
  int64_t own_pairs = 0;   // pairs of distinct, differently scored own samples
  std::map<std::string, double> acc_grm_own_by_family;
  std::map<std::string, int64_t> own_pairs_by_family;
  double acc_irm = kNotMeasured;      // on the held-out pairs, with a reference model
  double ece_grm = 0;                 // calibration of P_G on the held-out pairs
  double ece_irm = kNotMeasured;      // of P_I
  double agree_share = kNotMeasured;  // share of held-out pairs where GRM and IRM prefer the same
  double acc_agree = kNotMeasured;    // accuracy of that shared preference
};

struct WorldEvalInputs {
  const world::World& world;
  const PairwiseJudge& judge;
  std::vector<std::string> prompts;  // held-out instructions
  std::vector<LabelledPair> heldout_pairs;
  // The GRM evaluated: this pointwise judge when given (scir.grm = pointwise), else `judge`.
  const PointwiseJudge* pointwise = nullptr;
};

// baseline may be null and reference none. Every rank returns the same result.
WorldEvaluation evaluate_world(Comm& comm, Transformer& model, Transformer* baseline,
                               const ReferenceModel& reference, const WorldEvalInputs& inputs,
                               const WorldEvalSettings& settings);

// The reward models alone, on labelled pairs (no oracle needed): the judge's accuracy and
// calibration and, with a reference model, the implicit reward's accuracy, calibration and
// agreement with the judge. Fills those fields of `result`.
void evaluate_reward_models(Comm& comm, Transformer& model, const ReferenceModel& reference,
                            const PairwiseJudge& judge, const PointwiseJudge* pointwise,
                            const std::vector<LabelledPair>& heldout_pairs,
                            const WorldEvalSettings& settings, WorldEvaluation* result);

// Accuracy of preferences p (P(first > second)) against labels: 1 when p > 1/2 and
// q_first > q_second (or both reversed), 1/2 when p == 1/2; pairs with equal q are skipped.
// Returns (sum of credit, pairs counted).
std::pair<double, double> preference_accuracy(const std::vector<double>& p,
                                              const std::vector<double>& q_first,
                                              const std::vector<double>& q_second);

// Half-width of the 95% interval of a win rate `mean` over `count` prompts whose per-prompt
// outcomes (1, 1/2 or 0) have squares summing to `sum_of_squares`; NaN under two prompts.
double win_rate_ci95(double mean, double sum_of_squares, double count);

// The summary as a table with a final JSON line, as `scir_hpc eval` prints it.
std::string format_world_evaluation(const WorldEvaluation& evaluation);

}  // namespace scir
