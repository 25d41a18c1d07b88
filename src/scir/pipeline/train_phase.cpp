#include "scir/pipeline/train_phase.h"

#include "scir/core/errors.h"

#include <chrono>
#include <numeric>

#include "scir/core/logging.h"
#include "scir/core/memory_use.h"
#include "scir/core/rng.h"
#include "scir/dist/collective_watchdog.h"
#include "scir/eval/world_eval.h"
#include "scir/io/h5_group.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/io/run_contract.h"
#include "scir/pipeline/lora_training.h"
#include "scir/pipeline/random_streams.h"
#include "scir/pipeline/reference_phase.h"
#include "scir/train/lr_schedule.h"
#include "scir/train/training_state.h"

namespace scir {
namespace {

using Clock = std::chrono::steady_clock;
using StepColumns = std::map<std::string, std::vector<double>>;

// How often the step's P_G, P_I and training labels prefer the oracle's better response, over
// the batch's pairs of different quality on all ranks (NaN without an oracle, and P_G where no
// judge ran: srlm, oracle, irm_only). One reduction.
struct StepLabelAccuracy {
  double grm = kNoOracle, irm = kNoOracle, labels = kNoOracle;
};

StepLabelAccuracy step_label_accuracy(const IterationContext& context,
                                      const std::vector<const IterationPair*>& batch,
                                      const ScirStepStats& stats) {
  StepLabelAccuracy accuracy;
  if (!context.world) return accuracy;  // every rank alike: no collective is left unmatched
  std::vector<double> q1, q2, labels, labelled_q1, labelled_q2;
  for (size_t k = 0; k < batch.size(); ++k) {
    q1.push_back(batch[k]->q1);
    q2.push_back(batch[k]->q2);
    if (stats.kept_label[k] < 0) continue;
    labels.push_back(stats.kept_label[k] == 1 ? 1.0 : 0.0);
    labelled_q1.push_back(batch[k]->q1);
    labelled_q2.push_back(batch[k]->q2);
  }
  const auto [grm_credit, counted] = preference_accuracy(stats.p_grm, q1, q2);
  const auto [irm_credit, unused] = preference_accuracy(stats.p_irm, q1, q2);
  const auto [label_credit, labelled] = preference_accuracy(labels, labelled_q1, labelled_q2);
  const std::vector<double> sums = all_reduce_values(
      context.copies(), {grm_credit, irm_credit, counted, label_credit, labelled}, ReduceOp::kSum);
  const bool judged = context.plan.scir.method.judge_in_step();
  if (sums[2] > 0) {
    accuracy.grm = judged ? sums[0] / sums[2] : kNoOracle;
    accuracy.irm = sums[1] / sums[2];
  }
  if (sums[4] > 0) accuracy.labels = sums[3] / sums[4];
  return accuracy;
}

// A row of /iter_<t>/steps (run_contract::kStepColumns).
void add_step_row(StepColumns& steps, int64_t step, const ScirStepStats& stats,
                  const StepLabelAccuracy& accuracy, double grad_norm, double lr, double seconds) {
  const double pairs = std::max(1.0, stats.pairs);
  const std::pair<const char*, double> row[] = {{"step", static_cast<double>(step)},
                                                {"loss", stats.loss},
                                                {"loss_dpo", stats.loss_dpo},
                                                {"loss_sym", stats.loss_sym},
                                                {"loss_ent", stats.loss_ent},
                                                {"consistency_rate", stats.agreements / pairs},
                                                {"kept_share", stats.kept / pairs},
                                                {"cons_share", stats.gated / pairs},
                                                {"margin", stats.margin},
                                                {"logp_chosen", stats.logp_chosen},
                                                {"logp_rejected", stats.logp_rejected},
                                                {"grad_norm", grad_norm},
                                                {"lr", lr},
                                                {"tokens_per_s", stats.tokens / seconds},
                                                {"acc_grm_step", accuracy.grm},
                                                {"acc_irm_step", accuracy.irm},
                                                {"acc_labels_step", accuracy.labels}};
  for (const auto& [name, value] : row) steps.at(name).push_back(value);
}

// Restart states hold the optimiser, the step columns and this rank's pairs' bookkeeping.
TrainingState::Columns state_columns(const StepColumns& steps, const IterationPairs& pairs) {
  TrainingState::Columns columns = steps;
  std::vector<double>& labels = columns["pair_label_last"];
  std::vector<double>& consumed = columns["pair_step_consumed"];
  for (const IterationPair& p : pairs.mine) {
    labels.push_back(p.label_last);
    consumed.push_back(p.step_consumed);
  }
  return columns;
}

void restore(const TrainingState::Columns& columns, StepColumns& steps, IterationPairs& pairs) {
  for (auto& [name, values] : steps) values = columns.at(name);
  for (size_t i = 0; i < pairs.mine.size(); ++i) {
    pairs.mine[i].label_last = static_cast<int>(columns.at("pair_label_last").at(i));
    pairs.mine[i].step_consumed = columns.at("pair_step_consumed").at(i);
  }
}

}  // namespace

std::unique_ptr<LoraAdapter> train_phase(const IterationContext& context, Transformer& policy,
                                         IterationPairs& pairs, const std::string& policy_directory,
                                         bool keep_adapter) {
  const SelfRewardingPlan& plan = context.plan;
  Comm& comm = context.copies();
  const std::string prefix = "[" + context.name() + "] ";
  // Pairs are dealt out evenly, so every rank holds one when there are at least as many pairs
  // as ranks; with fewer, no rank trains (all decide alike, so no collective is left unmatched).
  const int64_t per_rank = std::max<int64_t>(1, plan.batch_pairs / comm.size());
  const int64_t local_count = static_cast<int64_t>(pairs.mine.size());
  const int64_t most = (pairs.total + comm.size() - 1) / comm.size();
  const bool trainable = pairs.total >= comm.size();
  const int64_t steps_per_epoch = trainable ? (most + per_rank - 1) / per_rank : 0;
  const int64_t total_steps = steps_per_epoch * plan.epochs;
  AdamWSettings adamw;  // PyTorch's defaults, no weight decay
  adamw.lr = plan.lr;
  // With LoRA the adapters are the only weights trained, M(t) frozen under them.
  std::unique_ptr<LoraAdapter> lora = attach_lora(
      policy, plan.lora,
      RngStream::derive(plan.seed, {static_cast<uint64_t>(context.t), kStreamLora}).next_u64(),
      context.name());
  DataParallelOptimizer optimizer(
      comm, lora ? lora->parameters() : policy.parameters(), adamw, plan.parallel,
      lora ? lora->tensor_parallel_norm() : policy.tensor_parallel_norm());
  log_info(prefix + optimizer.describe_memory());
  const LrSchedule schedule{plan.lr, 1.0, plan.warmup_steps, std::max<int64_t>(1, total_steps)};
  StepColumns steps;  // every column exists even when no step runs: one row count a group
  for (const run_contract::Column& column : run_contract::kStepColumns) steps[column.name] = {};

  const TrainingState state(context.run.path(run_contract::state_directory(context.name())),
                            plan.state_every);
  const int64_t first_step = std::min(state.latest(comm), total_steps);
  if (first_step > 0) {
    TrainingState::Columns columns = state_columns(steps, pairs);
    state.load(comm, first_step, policy, optimizer, columns, lora.get());
    restore(columns, steps, pairs);
  }
  policy.train();
  policy.set_activation_checkpointing(plan.activation_checkpointing);
  if (plan.activation_checkpointing)
    log_info(prefix + "activation checkpointing: layers recomputed in the backward");
  int64_t step = 0;
  ScirSettings scir = plan.scir;  // each step with the optimiser's loss scale
  scir.stop_grad = consistency_pull(context);
  const auto train_start = Clock::now();
  for (int epoch = 0; epoch < plan.epochs && trainable; ++epoch) {
    std::vector<size_t> order(local_count);
    std::iota(order.begin(), order.end(), 0);
    RngStream rng = RngStream::derive(
        plan.seed, {static_cast<uint64_t>(context.t), kStreamShuffle, static_cast<uint64_t>(epoch),
                    static_cast<uint64_t>(comm.rank())});
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.next_u64() % i]);
    for (int64_t s = 0; s < steps_per_epoch; ++s, ++step) {
      if (step < first_step) continue;  // done before the restart state
      const auto start = Clock::now();
      const std::string where = cat(prefix, "step ", step + 1);
      CollectiveWatchdog::instance().set_progress(where);
      std::vector<TrainingPair> batch;
      std::vector<const IterationPair*> batch_pairs;
      std::vector<size_t> used;
      for (int64_t k = 0; k < per_rank; ++k) {
        const size_t index = order[(s * per_rank + k) % local_count];  // cycles on short ranks
        batch.push_back(pairs.mine[index].pair);
        batch_pairs.push_back(&pairs.mine[index]);
        used.push_back(index);
      }
      const double lr = schedule.at(step);
      optimizer.set_lr(lr);
      optimizer.zero_grad();
      scir.loss_scale = optimizer.loss_scale();
      const ScirStepStats stats = scir_step(policy, context.judges.pairwise(), batch, scir, comm,
                                            context.judges.pointwise());
      const double grad_norm = optimizer.step(plan.grad_clip, where);
      for (size_t k = 0; k < used.size(); ++k) {
        pairs.mine[used[k]].label_last = stats.kept_label[k];
        pairs.mine[used[k]].step_consumed = static_cast<double>(step);
      }
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      add_step_row(steps, step, stats, step_label_accuracy(context, batch_pairs, stats), grad_norm,
                   lr, seconds);
      if ((step + 1) % plan.log_every == 0 || step + 1 == total_steps) {
        const double pair_count = std::max(1.0, stats.pairs);
        log_info(
            cat(where, "/", total_steps, " loss ", stats.loss, " dpo ", stats.loss_dpo, " sym ",
                stats.loss_sym, " agree ", stats.agreements / pair_count, " kept ",
                stats.kept / pair_count, " logp_w ", stats.logp_chosen, " ",
                static_cast<int64_t>(stats.tokens / seconds), " tok/s ETA ",
                format_duration(std::chrono::duration<double>(Clock::now() - train_start).count() /
                                (step + 1 - first_step) * (total_steps - step - 1))));
      }
      if (state.due(step + 1) && step + 1 < total_steps)
        state.save(comm, step + 1, policy, optimizer, state_columns(steps, pairs), lora.get());
    }
  }
  policy.eval();
  policy.set_activation_checkpointing(false);
  // The adapter in PEFT's format beside the checkpoint M(t+1) = M(t) + scale B A, merged into
  // the policy or only into the checkpoint.
  const std::string adapter_directory =
      context.run.path(run_contract::iteration_adapter(context.t));
  if (!keep_adapter) {
    save_and_merge_lora(context.job(), lora, adapter_directory, policy_directory);
  } else if (lora) {
    save_lora(context.job(), *lora, adapter_directory, policy_directory);
  }
  // Collective over the tensor group: before rank 0 alone goes on to write.
  save_whole_hf_model(context.job(),
                      context.run.path(run_contract::iteration_checkpoint(context.t)), policy,
                      context.judges.tokenizer(), lora.get());
  log_info(prefix + "memory: " + memory_summary(policy.device()));
  write_pair_columns(context, pairs, PairStage::kTrained);
  if (context.job().rank() == 0) {
    H5Group group;
    group.columns = steps;
    write_h5_group(context.run.h5(), run_contract::iteration_group(context.t) + "/steps", group);
  }
  context.mark_done("train");
  state.clear(context.job());  // the phase is done: no restart needed
  return lora;
}

}  // namespace scir
