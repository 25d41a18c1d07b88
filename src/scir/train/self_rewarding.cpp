#include "scir/train/self_rewarding.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "scir/core/errors.h"
#include "scir/core/logging.h"
#include "scir/core/rng.h"
#include "scir/data/text_records.h"
#include "scir/dist/collective_watchdog.h"
#include "scir/dist/gradient_sync.h"
#include "scir/dist/sharding.h"
#include "scir/io/h5_collective_rows.h"
#include "scir/io/h5_group.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/io/jsonl.h"
#include "scir/model/generation.h"
#include "scir/model/precision.h"
#include "scir/model/sequence_logprobs.h"
#include "scir/train/data_parallel_optimizer.h"
#include "scir/train/lr_schedule.h"
#include "scir/train/training_state.h"

namespace scir {
namespace {

enum Phase : uint64_t { kPhaseGenerate = 1, kPhaseShuffle = 2, kPhasePairs = 3, kPhaseJudge = 4 };

struct PairRecord {
  TrainingPair pair;
  int64_t prompt_id = 0;
  int rank = 0;  // the rank that generated it
  double q1 = 0, q2 = 0, p_grm0 = 0.5, p_irm0 = 0.5;
  int label_last = -1;
  double step_consumed = -1;
};

std::vector<int64_t> ids_of(const nlohmann::json& json) { return json.get<std::vector<int64_t>>(); }

// SRLM's offline scorer: the expected score of the pointwise judge, or sampled judgements.
struct SrlmScorer {
  const PointwiseJudge* expected = nullptr;
  const JudgeTemplate* sampled_template = nullptr;  // set for sampled judgements
  int64_t judgements = 0, parse_failures = 0;       // counts of the sampled judge
};

// Samples N responses a prompt of this rank's shard and forms all distinct pairs (SRLM: the
// best-scored response against the worst).
std::vector<std::pair<size_t, std::string>> generate_pairs(Comm& comm, Transformer& model,
                                                           const PairwiseJudge& judge,
                                                           SrlmScorer* srlm_scorer,
                                                           const std::vector<std::string>& prompts,
                                                           int t, const SelfRewardingPlan& plan) {
  SamplingOptions sampling;
  sampling.temperature = plan.temperature;
  sampling.top_p = plan.top_p;
  sampling.max_new_tokens = plan.max_new_tokens;
  sampling.seed =
      RngStream::derive(plan.seed, {static_cast<uint64_t>(t), kPhaseGenerate}).next_u64();
  const Tokenizer& tokenizer = judge.tokenizer;
  SampledJudgeSettings judge_settings = plan.sampled_judge;
  judge_settings.sampling.seed =
      RngStream::derive(plan.seed, {static_cast<uint64_t>(t), kPhaseJudge}).next_u64();
  // One JSON line a pair, keyed by (prompt, pair within the prompt) for a rank-independent order.
  std::vector<std::pair<size_t, std::string>> encoded;
  const size_t pairs_a_prompt = static_cast<size_t>(plan.samples * (plan.samples - 1) / 2);
  const std::vector<size_t> mine = shard_indices(prompts.size(), comm.rank(), comm.size());
  const size_t per_batch = std::max<size_t>(1, plan.eval.batch_size / plan.samples);
  for (size_t start = 0; start < mine.size(); start += per_batch) {
    CollectiveWatchdog::instance().set_progress(
        cat("[iter_", t, "] generation batch ", start / per_batch + 1));
    const size_t end = std::min(mine.size(), start + per_batch);
    std::vector<GenerationRequest> requests;
    for (size_t i = start; i < end; ++i) {
      for (int s = 0; s < plan.samples; ++s) {
        requests.push_back({prompt_ids(tokenizer, judge.chat_template, prompts[mine[i]]), mine[i],
                            static_cast<uint64_t>(s)});
      }
    }
    const auto samples =
        generate(model, requests, sampling, tokenizer.eos_id(), tokenizer.pad_id());
    for (size_t i = start; i < end; ++i) {
      const size_t base = (i - start) * plan.samples;
      // Distinct pairs (identical responses carry no preference), then K of them at random.
      std::vector<std::string> texts;
      for (int a = 0; a < plan.samples; ++a) texts.push_back(tokenizer.decode(samples[base + a]));
      if (srlm_scorer) {
        // SRLM: the prompt's best-scored response against its worst, ties dropped.
        torch::NoGradGuard no_grad;
        const std::vector<std::string> instructions(texts.size(), prompts[mine[i]]);
        std::vector<double> scores;
        if (srlm_scorer->sampled_template) {
          std::vector<uint64_t> streams;
          for (int a = 0; a < plan.samples; ++a) streams.push_back(mine[i] * plan.samples + a);
          const SampledScores sampled = sampled_judge_scores(
              model, tokenizer, judge.chat_template, *srlm_scorer->sampled_template, instructions,
              texts, streams, judge_settings);
          scores = sampled.scores;
          srlm_scorer->judgements += sampled.judgements;
          srlm_scorer->parse_failures += sampled.parse_failures;
        } else {
          scores = to_doubles(expected_scores(model, *srlm_scorer->expected, instructions, texts));
        }
        const auto [best, worst] = best_vs_worst(scores);
        if (best >= 0 && texts[best] != texts[worst]) {
          encoded.emplace_back(mine[i] * pairs_a_prompt, json_line({{"prompt_id", mine[i]},
                                                                    {"rank", comm.rank()},
                                                                    {"text1", texts[best]},
                                                                    {"text2", texts[worst]},
                                                                    {"ids1", samples[base + best]},
                                                                    {"ids2", samples[base + worst]},
                                                                    {"label", 1}}));
        }
        continue;
      }
      std::vector<std::pair<int, int>> candidates;
      std::vector<size_t> indices;
      size_t pair_index = 0;
      for (int a = 0; a < plan.samples; ++a) {
        for (int b = a + 1; b < plan.samples; ++b, ++pair_index) {
          if (texts[a] == texts[b]) continue;
          candidates.push_back({a, b});
          indices.push_back(pair_index);
        }
      }
      size_t keep = candidates.size();
      if (plan.pairs_per_prompt > 0 && keep > static_cast<size_t>(plan.pairs_per_prompt)) {
        RngStream rng =
            RngStream::derive(plan.seed, {static_cast<uint64_t>(t), kPhasePairs, mine[i]});
        for (size_t k = 0; k < static_cast<size_t>(plan.pairs_per_prompt); ++k) {
          const size_t pick = k + rng.next_u64() % (candidates.size() - k);
          std::swap(candidates[k], candidates[pick]);
          std::swap(indices[k], indices[pick]);
        }
        keep = static_cast<size_t>(plan.pairs_per_prompt);
      }
      for (size_t k = 0; k < keep; ++k) {
        const auto [a, b] = candidates[k];
        encoded.emplace_back(mine[i] * pairs_a_prompt + indices[k],
                             json_line({{"prompt_id", mine[i]},
                                        {"rank", comm.rank()},
                                        {"text1", texts[a]},
                                        {"text2", texts[b]},
                                        {"ids1", samples[base + a]},
                                        {"ids2", samples[base + b]}}));
      }
    }
  }
  return encoded;
}

// Oracle columns and evaluation fields where there is no oracle (a user's model).
constexpr double kNoOracle = std::numeric_limits<double>::quiet_NaN();

WorldEvaluation without_oracle() {
  WorldEvaluation evaluation;
  for (double* field :
       {&evaluation.mean_quality, &evaluation.exact_share, &evaluation.mean_length,
        &evaluation.win_rate, &evaluation.baseline_quality, &evaluation.acc_grm_heldout,
        &evaluation.acc_grm_own, &evaluation.acc_irm_heldout, &evaluation.ece_grm,
        &evaluation.ece_irm, &evaluation.agree_share, &evaluation.acc_agree}) {
    *field = kNoOracle;
  }
  return evaluation;
}

double mean_of(const std::vector<double>& values) {
  if (values.empty()) return 0;
  double total = 0;
  for (double v : values) total += v;
  return total / static_cast<double>(values.size());
}

}  // namespace

std::vector<IterationSummary> run_self_rewarding(const ProcessGrid& grid, const RunDirectory& run,
                                                 const SelfRewardingInputs& inputs,
                                                 const SelfRewardingPlan& plan) {
  // Work and its reductions run over the model copies (`comm`); markers, barriers and files
  // belong to the job (`job`), whose rank 0 writes.
  Comm& comm = grid.data();
  Comm& job = grid.job();
  const JudgeTemplate pairwise =
      JudgeTemplate::from_file(plan.pairwise_template, JudgeKind::kPairwise);
  std::vector<IterationSummary> summaries;
  const std::string& m1_dir = inputs.m1_dir;
  LoadedModel m1 = load_hf_model_for(grid, m1_dir);
  const Tokenizer& tokenizer = *m1.tokenizer;
  const PairwiseJudge judge =
      PairwiseJudge::with_ab_verdicts(tokenizer, inputs.chat_template, pairwise);
  // The pointwise judge: the online P_G when the GRM is pointwise, SRLM's offline scores
  // (expected over the score token); sampled judgements need only its template.
  std::unique_ptr<LoadedPointwiseJudge> loaded_pointwise;
  std::unique_ptr<JudgeTemplate> sampled_template;
  if (plan.scir.pointwise_grm) {
    loaded_pointwise = std::make_unique<LoadedPointwiseJudge>(tokenizer, inputs.chat_template,
                                                              plan.pointwise_template, plan.tau);
  }
  const PointwiseJudge* pointwise_judge = loaded_pointwise ? &loaded_pointwise->judge() : nullptr;
  if (plan.srlm_sampled_judge) {
    sampled_template = std::make_unique<JudgeTemplate>(
        JudgeTemplate::from_file(plan.pointwise_template, JudgeKind::kPointwise));
  }
  SrlmScorer srlm;
  srlm.expected = pointwise_judge;
  srlm.sampled_template = sampled_template.get();
  SrlmScorer* srlm_scorer =
      plan.offline == OfflineLabels::kSrlm && (srlm.expected || srlm.sampled_template) ? &srlm
                                                                                       : nullptr;
  const world::World* world = inputs.world;
  const std::vector<std::string> eval_prompts =
      world ? read_prompt_texts(inputs.eval_prompts_path) : std::vector<std::string>{};
  const std::vector<LabelledPair> heldout = inputs.heldout_pairs_path.empty()
                                                ? std::vector<LabelledPair>{}
                                                : read_labelled_pairs(inputs.heldout_pairs_path);

  for (int t = 1; t <= plan.iterations; ++t) {
    const std::string phase = cat("iter_", t);
    const std::string current_dir = t == 1 ? m1_dir : run.path(cat("ckpt/iter_", t - 1, "/final"));
    const std::string previous_dir = t == 1   ? inputs.m0_dir
                                     : t == 2 ? m1_dir
                                              : run.path(cat("ckpt/iter_", t - 2, "/final"));
    const bool offline = plan.offline != OfflineLabels::kNone;
    const std::string reference_dir =
        plan.irm_reference == IrmReference::kCurrent || offline ? current_dir : previous_dir;
    const std::string final_dir = run.path(cat("ckpt/iter_", t, "/final"));
    IterationSummary summary;
    summary.iteration = t;
    if (run.done(job, phase, final_dir)) {
      // Only rank 0 opens run.h5 (HDF5 locks a file another process writes); the summary it
      // feeds is printed by rank 0 alone.
      if (job.rank() == 0) {
        const H5Group eval = read_h5_group(run.h5(), "/" + phase + "/eval");
        summary.eval.win_rate = eval.numbers.at("win_rate_vs_m1");
        summary.eval.mean_quality = eval.numbers.at("mean_quality");
        summary.eval.acc_grm_heldout = eval.numbers.at("acc_grm");
        summary.eval.acc_irm_heldout = eval.numbers.at("acc_irm");
        summary.consistency_rate = eval.numbers.at("train_consistency_rate");
        summary.pairs = eval.numbers.at("pairs");
        summary.agreement_start = eval.numbers.at("agreement_start");
        summary.kept_share = eval.numbers.at("train_kept_share");
      }
      log_info(cat("[", phase, "] done already"));
      summaries.push_back(summary);
      continue;
    }
    LoadedModel policy = load_hf_model_for(grid, current_dir);
    LoadedModel reference = load_hf_model_for(grid, reference_dir);
    policy.model->eval();

    // Generate, pair, and spread the pairs evenly over the ranks.
    const std::vector<std::string> prompts =
        read_prompt_texts(inputs.pool_paths.at(plan.fixed_pool ? 0 : t - 1));
    srlm.judgements = srlm.parse_failures = 0;
    const std::vector<std::string> all_encoded = gather_in_item_order(
        comm, generate_pairs(comm, *policy.model, judge, srlm_scorer, prompts, t, plan));
    if (plan.srlm_sampled_judge && plan.offline == OfflineLabels::kSrlm) {
      summary.judgements = static_cast<int64_t>(
          all_reduce_scalar(comm, static_cast<double>(srlm.judgements), ReduceOp::kSum));
      summary.judge_parse_failures = static_cast<int64_t>(
          all_reduce_scalar(comm, static_cast<double>(srlm.parse_failures), ReduceOp::kSum));
      log_info(cat("[", phase, "] SRLM judge: ", summary.judgements, " sampled judgements, ",
                   summary.judge_parse_failures, " without a parsable score"));
    }
    std::vector<PairRecord> pairs;
    for (size_t i : shard_indices(all_encoded.size(), comm.rank(), comm.size())) {
      const nlohmann::json json = nlohmann::json::parse(all_encoded[i]);
      PairRecord record;
      record.prompt_id = json["prompt_id"].get<int64_t>();
      record.rank = json["rank"].get<int>();
      record.pair.instruction = prompts[record.prompt_id];
      record.pair.prompt = prompt_ids(tokenizer, judge.chat_template, record.pair.instruction);
      record.pair.text1 = json["text1"].get<std::string>();
      record.pair.text2 = json["text2"].get<std::string>();
      record.pair.response1 = ids_of(json["ids1"]);
      record.pair.response2 = ids_of(json["ids2"]);
      if (json.contains("label")) record.pair.fixed_label = json["label"].get<int>();
      record.q1 = world ? world->quality(record.pair.instruction, record.pair.text1) : kNoOracle;
      record.q2 = world ? world->quality(record.pair.instruction, record.pair.text2) : kNoOracle;
      pairs.push_back(std::move(record));
    }
    const double global_pairs =
        all_reduce_scalar(comm, static_cast<double>(pairs.size()), ReduceOp::kSum);
    log_info(cat("[", phase, "] ", prompts.size(), " prompts x ", plan.samples, " samples -> ",
                 global_pairs, " distinct pairs; reference ", reference_dir));

    // Reference log-probs (cached for the whole iteration), the two reward models before
    // training, and labels fixed before training for srlm and oracle.
    const int64_t batch = plan.eval.batch_size;
    std::vector<PromptResponse> first, second;
    for (const PairRecord& record : pairs) {
      first.push_back({record.pair.prompt, record.pair.response1});
      second.push_back({record.pair.prompt, record.pair.response2});
    }
    const auto [ref1, ref2] =
        paired_response_logprobs(*reference.model, first, second, tokenizer.pad_id(), batch);
    const auto [pol1, pol2] =
        paired_response_logprobs(*policy.model, first, second, tokenizer.pad_id(), batch);
    std::vector<JudgedPair> judged;
    for (const PairRecord& record : pairs)
      judged.push_back({record.pair.instruction, record.pair.text1, record.pair.text2});
    const std::vector<double> p_grm0 =
        grm_preferences(*policy.model, judge, pointwise_judge, judged, batch);
    std::vector<double> length1, length2;
    for (const PairRecord& record : pairs) {
      length1.push_back(static_cast<double>(record.pair.response1.size()));
      length2.push_back(static_cast<double>(record.pair.response2.size()));
    }
    const std::vector<double> p_irm0 = to_doubles(
        irm_bernoulli(implicit_reward_margin(from_doubles(pol1), from_doubles(pol2),
                                             from_doubles(ref1), from_doubles(ref2),
                                             from_doubles(length1), from_doubles(length2),
                                             plan.scir.beta, plan.scir.irm_length_norm))
            .probability());
    for (size_t i = 0; i < pairs.size(); ++i) {
      pairs[i].pair.ref_logp1 = ref1[i];
      pairs[i].pair.ref_logp2 = ref2[i];
      pairs[i].p_grm0 = p_grm0[i];
      pairs[i].p_irm0 = p_irm0[i];
      if (plan.offline == OfflineLabels::kSrlm && !srlm_scorer) {
        pairs[i].pair.fixed_label = p_grm0[i] > 0.5 ? 1 : p_grm0[i] < 0.5 ? 0 : -1;
      } else if (plan.offline == OfflineLabels::kOracle) {
        pairs[i].pair.fixed_label = pairs[i].q1 > pairs[i].q2   ? 1
                                    : pairs[i].q1 < pairs[i].q2 ? 0
                                                                : -1;
      }
    }

    double agreeing = 0;
    for (const PairRecord& record : pairs)
      agreeing += (record.p_grm0 - 0.5) * (record.p_irm0 - 0.5) > 0 ? 1 : 0;
    summary.agreement_start =
        all_reduce_scalar(comm, agreeing, ReduceOp::kSum) / std::max(1.0, global_pairs);

    // Train: every rank walks its pairs (reshuffled each epoch) in equal numbers of steps.
    const int64_t per_rank = std::max<int64_t>(1, plan.batch_pairs / comm.size());
    const int64_t local_count = static_cast<int64_t>(pairs.size());
    const int64_t most = static_cast<int64_t>(
        all_reduce_scalar(comm, static_cast<double>(local_count), ReduceOp::kMax));
    // Pairs are spread evenly, so every rank holds one when there are at least as many pairs as
    // ranks; with fewer, no rank trains (all decide alike, so no collective is left unmatched).
    const bool trainable = global_pairs >= comm.size();
    const int64_t steps_per_epoch = trainable ? (most + per_rank - 1) / per_rank : 0;
    const int64_t total_steps = steps_per_epoch * plan.epochs;
    std::vector<torch::Tensor> parameters = policy.model->parameters();
    AdamWSettings adamw;  // PyTorch's defaults, no weight decay
    adamw.lr = plan.lr;
    DataParallelOptimizer optimizer(comm, parameters, adamw, plan.parallel,
                                    policy.model->tensor_parallel_norm());
    log_info(cat("[", phase, "] ", optimizer.describe_state()));
    const LrSchedule schedule{plan.lr, 1.0, plan.warmup_steps, std::max<int64_t>(1, total_steps)};
    // Every column exists even when no step runs, so the group keeps one row count.
    std::map<std::string, std::vector<double>> steps;
    for (const char* name :
         {"step", "loss", "loss_dpo", "loss_sym", "loss_ent", "consistency_rate", "kept_share",
          "margin", "logp_chosen", "logp_rejected", "grad_norm", "lr", "tokens_per_s"}) {
      steps[name] = {};
    }
    // Restart states: the optimiser, the step columns and this rank's pairs' bookkeeping.
    const TrainingState state(run.path(cat("ckpt/", phase, "_state")), plan.state_every);
    const auto state_columns = [&] {
      TrainingState::Columns columns = steps;
      std::vector<double>& labels = columns["pair_label_last"];
      std::vector<double>& consumed = columns["pair_step_consumed"];
      for (const PairRecord& record : pairs) {
        labels.push_back(record.label_last);
        consumed.push_back(record.step_consumed);
      }
      return columns;
    };
    const int64_t first_step = std::min(state.latest(comm), total_steps);
    if (first_step > 0) {
      TrainingState::Columns columns = state_columns();
      state.load(comm, first_step, *policy.model, optimizer, columns);
      for (auto& [name, values] : steps) values = columns.at(name);
      for (size_t i = 0; i < pairs.size(); ++i) {
        pairs[i].label_last = static_cast<int>(columns.at("pair_label_last").at(i));
        pairs[i].step_consumed = columns.at("pair_step_consumed").at(i);
      }
    }
    policy.model->train();
    using Clock = std::chrono::steady_clock;
    int64_t step = 0;
    const auto train_start = Clock::now();
    for (int epoch = 0; epoch < plan.epochs && trainable; ++epoch) {
      std::vector<size_t> order(local_count);
      std::iota(order.begin(), order.end(), 0);
      RngStream rng = RngStream::derive(
          plan.seed, {static_cast<uint64_t>(t), kPhaseShuffle, static_cast<uint64_t>(epoch),
                      static_cast<uint64_t>(comm.rank())});
      for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.next_u64() % i]);
      for (int64_t s = 0; s < steps_per_epoch; ++s, ++step) {
        if (step < first_step) continue;  // done before the restart state
        const auto start = Clock::now();
        CollectiveWatchdog::instance().set_progress(cat("[", phase, "] step ", step + 1));
        std::vector<TrainingPair> batch_pairs;
        std::vector<size_t> used;
        for (int64_t k = 0; k < per_rank; ++k) {
          const size_t index = order[(s * per_rank + k) % local_count];  // cycles on short ranks
          batch_pairs.push_back(pairs[index].pair);
          used.push_back(index);
        }
        const double lr = schedule.at(step);
        optimizer.set_lr(lr);
        optimizer.zero_grad();
        const ScirStepStats stats =
            scir_step(*policy.model, judge, batch_pairs, plan.scir, comm, pointwise_judge);
        const double grad_norm =
            optimizer.step(plan.grad_clip, cat("[", phase, "] step ", step + 1));
        for (size_t k = 0; k < used.size(); ++k) {
          pairs[used[k]].label_last = stats.kept_label[k];
          pairs[used[k]].step_consumed = static_cast<double>(step);
        }
        const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
        const std::pair<const char*, double> row[] = {
            {"step", static_cast<double>(step)},
            {"loss", stats.loss},
            {"loss_dpo", stats.loss_dpo},
            {"loss_sym", stats.loss_sym},
            {"loss_ent", stats.loss_ent},
            {"consistency_rate", stats.agreements / std::max(1.0, stats.pairs)},
            {"kept_share", stats.kept / std::max(1.0, stats.pairs)},
            {"margin", stats.margin},
            {"logp_chosen", stats.logp_chosen},
            {"logp_rejected", stats.logp_rejected},
            {"grad_norm", grad_norm},
            {"lr", lr},
            {"tokens_per_s", stats.tokens / seconds}};
        for (const auto& [name, value] : row) steps[name].push_back(value);
        if ((step + 1) % plan.log_every == 0 || step + 1 == total_steps) {
          log_info(cat(
              "[", phase, "] step ", step + 1, "/", total_steps, " loss ", stats.loss, " dpo ",
              stats.loss_dpo, " sym ", stats.loss_sym, " agree ",
              stats.agreements / std::max(1.0, stats.pairs), " kept ",
              stats.kept / std::max(1.0, stats.pairs), " logp_w ", stats.logp_chosen, " ",
              static_cast<int64_t>(stats.tokens / seconds), " tok/s ETA ",
              format_duration(std::chrono::duration<double>(Clock::now() - train_start).count() /
                              (step + 1 - first_step) * (total_steps - step - 1))));
        }
        if (state.due(step + 1) && step + 1 < total_steps)
          state.save(comm, step + 1, *policy.model, optimizer, state_columns());
      }
    }
    policy.model->eval();

    // Evaluate M(t+1) against M1, with the iteration's reference for the IRM.
    WorldEvaluation evaluation = without_oracle();
    if (world) {
      evaluation =
          evaluate_world(comm, *policy.model, m1.model.get(), reference.model.get(),
                         {*world, judge, eval_prompts, heldout, pointwise_judge}, plan.eval);
      log_info(cat("[", phase, "] M", t + 1, "\n", format_world_evaluation(evaluation)));
    } else if (!heldout.empty()) {
      evaluate_reward_models(comm, *policy.model, reference.model.get(), judge, pointwise_judge,
                             heldout, plan.eval, &evaluation);
      log_info(cat("[", phase, "] M", t + 1, " on the labelled pairs: judge accuracy ",
                   evaluation.acc_grm_heldout, ", implicit reward accuracy ",
                   evaluation.acc_irm_heldout));
    }
    summary.eval = evaluation;
    summary.pairs = global_pairs;
    const bool online_grm =
        plan.scir.method != ScirMethod::kLabelled && plan.scir.method != ScirMethod::kIrmOnly;
    summary.consistency_rate = online_grm ? mean_of(steps.at("consistency_rate")) : -1;
    summary.kept_share = mean_of(steps.at("kept_share"));

    // Per-pair provenance: the numbers written by every rank at once (parallel HDF5, rank r's
    // rows after those of the ranks before it), then the texts and token ids gathered to rank 0
    // in the same order and added to the group.
    const char* names[] = {"prompt_id",   "rank",       "logp_ref1",     "logp_ref2",
                           "p_grm0",      "p_irm0",     "oracle_q1",     "oracle_q2",
                           "kept_last",   "label_last", "step_consumed", "resp1_length",
                           "resp2_length"};
    std::map<std::string, std::vector<double>> numbers;
    for (const char* name : names) numbers[name] = {};
    for (const PairRecord& r : pairs) {
      const double values[] = {static_cast<double>(r.prompt_id),
                               static_cast<double>(r.rank),
                               r.pair.ref_logp1,
                               r.pair.ref_logp2,
                               r.p_grm0,
                               r.p_irm0,
                               r.q1,
                               r.q2,
                               r.label_last >= 0 ? 1.0 : 0.0,
                               static_cast<double>(r.label_last),
                               r.step_consumed,
                               static_cast<double>(r.pair.response1.size()),
                               static_cast<double>(r.pair.response2.size())};
      for (size_t c = 0; c < std::size(names); ++c) numbers[names[c]].push_back(values[c]);
    }
    // Every rank of a model copy holds the same pairs: the copies' first ranks write them.
    std::vector<std::string> table;
    if (grid.leads_copy()) {
      const int64_t offset = write_h5_rows(comm, run.h5(), "/" + phase + "/pairs", numbers);
      std::vector<std::pair<size_t, std::string>> rows;
      for (size_t i = 0; i < pairs.size(); ++i) {
        const PairRecord& r = pairs[i];
        rows.emplace_back(
            static_cast<size_t>(offset) + i,
            json_line({r.pair.text1, r.pair.text2, r.pair.response1, r.pair.response2}));
      }
      table = gather_in_item_order(comm, rows);
    }
    // Collective over the tensor group: before rank 0 alone goes on to write.
    save_whole_hf_model(job, final_dir, *policy.model, tokenizer);
    if (job.rank() == 0) {
      H5Group pair_group;
      pair_group.text_columns = {{"resp1_text", {}}, {"resp2_text", {}}};
      pair_group.token_columns = {{"resp1_tokens", {}}, {"resp2_tokens", {}}};
      for (const std::string& line : table) {
        const nlohmann::json values = nlohmann::json::parse(line);
        pair_group.text_columns["resp1_text"].push_back(values[0].get<std::string>());
        pair_group.text_columns["resp2_text"].push_back(values[1].get<std::string>());
        pair_group.token_columns["resp1_tokens"].push_back(values[2].get<std::vector<int32_t>>());
        pair_group.token_columns["resp2_tokens"].push_back(values[3].get<std::vector<int32_t>>());
      }
      write_h5_group(run.h5(), "/" + phase + "/pairs", pair_group, H5GroupWrite::kAddColumns);
      H5Group step_group;
      step_group.columns = steps;
      write_h5_group(run.h5(), "/" + phase + "/steps", step_group);
      H5Group eval_group;
      eval_group.numbers = {
          {"win_rate_vs_m1", evaluation.win_rate},
          {"mean_quality", evaluation.mean_quality},
          {"mean_length", evaluation.mean_length},
          {"exact_share", evaluation.exact_share},
          {"acc_grm", evaluation.acc_grm_heldout},
          {"acc_grm_own", evaluation.acc_grm_own},
          {"acc_irm", evaluation.acc_irm_heldout},
          {"acc_agree", evaluation.acc_agree},
          {"agree_share", evaluation.agree_share},
          {"consistency_rate_heldout", evaluation.agree_share},
          {"ece_grm", evaluation.ece_grm},
          {"ece_irm", evaluation.ece_irm},
          {"pairs", global_pairs},
          {"train_consistency_rate", summary.consistency_rate},
          {"agreement_start", summary.agreement_start},
          {"train_kept_share", summary.kept_share},
          {"srlm_judgements", static_cast<double>(summary.judgements)},
          {"srlm_parse_failures", static_cast<double>(summary.judge_parse_failures)}};
      write_h5_group(run.h5(), "/" + phase + "/eval", eval_group);
      run.mark_done(phase);
    }
    job.barrier();
    state.clear(job);  // the iteration is done: no restart needed
    summaries.push_back(summary);
  }
  return summaries;
}

std::string format_summary_table(const WorldEvaluation& m1,
                                 const std::vector<IterationSummary>& iterations) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(3);
  const auto cell = [&](double value) {
    std::ostringstream text;
    text.setf(std::ios::fixed);
    text.precision(3);
    if (value < 0 || std::isnan(value)) {
      text << "-";
    } else {
      text << value;
    }
    std::string padded = text.str();
    padded.resize(std::max<size_t>(padded.size() + 2, 13), ' ');
    return padded;
  };
  out << "model  win_vs_M1    quality      acc_GRM      acc_IRM      agree_start  consistency  "
         "kept_share\n";
  out << "M1     " << cell(0.5) << cell(m1.mean_quality) << cell(m1.acc_grm_heldout)
      << cell(m1.acc_irm_heldout) << cell(-1) << cell(-1) << "-\n";
  for (const IterationSummary& s : iterations) {
    out << "M" << s.iteration + 1 << "     " << cell(s.eval.win_rate) << cell(s.eval.mean_quality)
        << cell(s.eval.acc_grm_heldout) << cell(s.eval.acc_irm_heldout) << cell(s.agreement_start)
        << cell(s.consistency_rate) << s.kept_share << "\n";
  }
  return out.str();
}

}  // namespace scir
