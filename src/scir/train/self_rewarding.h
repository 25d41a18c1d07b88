// The self-rewarding iterations (METHOD.md section 2): M(t+1) = train(M(t)) on pairs of M(t)'s
// own samples, for t = 1..T, each iteration a sequence of run-directory phases:
//   generate N samples a prompt of pool_t (sharded by rank) -> all distinct pairs
//   -> reference log-probs (cached) -> [srlm / oracle: labels fixed before training]
//   -> E epochs of the SCIR step (or the baseline's), gradients averaged over ranks, AdamW
//   -> evaluation of M(t+1) against M1 -> RUN/ckpt/iter_<t>/final.
// run.h5 gets /iter_<t>/pairs (one row a pair), /iter_<t>/steps and /iter_<t>/eval.
// With the pointwise GRM, SRLM labels as Yuan et al.: each prompt's best-scored response
// against its worst (ties dropped), chosen on the rank that sampled them.
#pragma once

#include <string>
#include <vector>

#include "scir/data/world/world.h"
#include "scir/dist/comm.h"
#include "scir/dist/process_grid.h"
#include "scir/eval/world_eval.h"
#include "scir/io/run_directory.h"
#include "scir/rewards/sampled_judge.h"
#include "scir/tokenizer/chat_template.h"
#include "scir/train/data_parallel_optimizer.h"
#include "scir/train/scir_step.h"

namespace scir {

enum class IrmReference { kPrevious, kCurrent };
enum class OfflineLabels { kNone, kSrlm, kOracle };

struct SelfRewardingPlan {
  int iterations = 2;
  ScirSettings scir;
  OfflineLabels offline = OfflineLabels::kNone;  // srlm or oracle
  IrmReference irm_reference = IrmReference::kPrevious;
  int samples = 4;           // N responses a prompt
  int pairs_per_prompt = 0;  // 0: all distinct pairs; K > 0: K random distinct pairs a prompt
  bool fixed_pool = false;   // every iteration draws from pool_1 instead of a fresh pool_t
  double temperature = 0.7;
  double top_p = 0.9;
  int64_t max_new_tokens = 32;
  int epochs = 1;
  int64_t batch_pairs = 16;  // pairs a step over all ranks
  double lr = 1e-5;
  double grad_clip = 1.0;
  int64_t warmup_steps = 0;
  uint64_t seed = 0;
  int64_t log_every = 10;
  WorldEvalSettings eval;
  std::string pairwise_template;
  std::string pointwise_template;  // used when scir.pointwise_grm is set
  double tau = 1.0;                // temperature of the pointwise P_G
  // SRLM's offline scores: false reads the score token's distribution (expected score), true
  // samples judgements and parses their scores, as SRLM ran its judge.
  bool srlm_sampled_judge = false;
  SampledJudgeSettings sampled_judge;
  DataParallelSettings parallel;
  // Restart states of an iteration's training every state_every steps (0: none; an interrupted
  // iteration then reruns whole), in RUN/ckpt/iter_t_state.
  int64_t state_every = 0;
};

// What the iterations start from and read: the embedded world's run directory, or a user's
// model with its prompt files.
struct SelfRewardingInputs {
  std::string m0_dir;  // reference of iteration 1 under irm_ref = previous ("": none given)
  std::string m1_dir;
  const world::World* world = nullptr;  // the oracle; null for a user's model (no oracle)
  std::vector<std::string> pool_paths;  // iteration t reads pool_paths[t - 1] ([0] when fixed)
  std::string eval_prompts_path;        // held-out prompts (world only)
  std::string heldout_pairs_path;       // labelled pairs for reward accuracy ("": none)
  ChatTemplate chat_template = ChatTemplate::kPlain;
};

struct IterationSummary {
  int iteration = 0;  // M(iteration + 1) was evaluated
  WorldEvaluation eval;
  double agreement_start = 0;  // GRM-IRM agreement on the pool before training (every method)
  double consistency_rate = -1, kept_share = 0;  // over the steps; -1 where no online GRM runs
  double pairs = 0;
  int64_t judge_parse_failures = 0, judgements = 0;  // SRLM's sampled judge
};

// Runs iterations 1..T from M1 (M0 is the first reference under irm_ref = previous).
// Finished iterations are skipped; their summaries are read back. Without a world there is no
// oracle: no quality, win rate or oracle columns (NaN), and reward accuracy only on the
// labelled pairs given. Every rank of the grid's job calls this; with a tensor group the models
// are cut over it and the model copies divide the prompts and pairs (restart states inside an
// iteration need tp = 1).
std::vector<IterationSummary> run_self_rewarding(const ProcessGrid& grid, const RunDirectory& run,
                                                 const SelfRewardingInputs& inputs,
                                                 const SelfRewardingPlan& plan);

// The table printed at the end of a run: rows M1, M2, ...
std::string format_summary_table(const WorldEvaluation& m1,
                                 const std::vector<IterationSummary>& iterations);

}  // namespace scir
