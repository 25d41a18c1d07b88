// An iteration's pairs as one rank holds them (METHOD.md section 2), and the pair store they are
// kept in between phases: run.h5's /iter_<t>/pairs, one row a pair in the iteration's pair order
// (prompt, then pair within the prompt), whose columns each phase adds (io/run_contract.h names
// them). Rank r of the model copies holds rows r, r + copies, r + 2 copies, ... (shard_indices),
// and writes its rows of a phase's columns there, all copies at once (parallel HDF5).
#pragma once

#include <cstdint>
#include <vector>

#include "scir/dist/item_rows.h"
#include "scir/pipeline/iteration_context.h"
#include "scir/train/scir_step.h"

namespace scir {

// Oracle columns where there is no oracle (a user's model).
constexpr double kNoOracle = WorldEvaluation::kNotMeasured;

struct IterationPair {
  int64_t row = 0;    // in the iteration's pair order
  TrainingPair pair;  // prompt, responses, reference log-probs, fixed label
  int64_t prompt_id = 0;
  int rank = 0;                           // the rank that generated it
  double q1 = kNoOracle, q2 = kNoOracle;  // oracle quality of the responses
  double p_grm0 = 0.5, p_irm0 = 0.5;      // the reward models before training
  int label_last = -1;                    // 1: response 1 preferred, 0: 2, -1: not kept
  double step_consumed = -1;              // the last step that trained on it
};

struct IterationPairs {
  std::vector<IterationPair> mine;                   // this rank's share
  int64_t total = 0;                                 // over all ranks
  int64_t judgements = 0, judge_parse_failures = 0;  // SRLM's sampled judge, over all ranks
};

// The phases whose columns the store holds, in the order they add them.
enum class PairStage { kGenerated, kReferenced, kLabelled, kTrained };

// Writes the columns `stage` adds, this rank's rows (collective over the job).
void write_pair_columns(const IterationContext& context, const IterationPairs& pairs,
                        PairStage stage);
// The pairs as the store holds them once `stage` is done: rank 0 reads, every rank gets its
// share (collective over the job).
IterationPairs read_pair_store(const IterationContext& context, PairStage stage);

// This rank's share of all the pairs (rows in pair order with the columns prompt_id, rank,
// resp1_tokens and resp2_tokens): prompts tokenised, responses decoded.
IterationPairs deal_pairs(const IterationContext& context, const ItemRows& all);

}  // namespace scir
