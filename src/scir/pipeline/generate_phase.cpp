#include "scir/pipeline/generate_phase.h"

#include <algorithm>
#include <set>

#include "scir/core/errors.h"
#include "scir/core/logging.h"
#include "scir/core/memory_use.h"
#include "scir/core/rng.h"
#include "scir/dist/collective_watchdog.h"
#include "scir/dist/item_rows.h"
#include "scir/dist/sharding.h"
#include "scir/io/h5_group.h"
#include "scir/io/run_contract.h"
#include "scir/model/device_decode.h"
#include "scir/model/generation.h"
#include "scir/model/precision.h"
#include "scir/pipeline/random_streams.h"

namespace scir {
namespace {

// This rank's pairs, keyed by (prompt, pair within the prompt) for an order that does not
// depend on the rank count.
struct SampledPairs {
  ItemRows rows{
      {}, {{"prompt_id", {}}, {"rank", {}}}, {{"resp1_tokens", {}}, {"resp2_tokens", {}}}};
  int64_t judgements = 0, parse_failures = 0;  // SRLM's sampled judge

  void add(size_t key, size_t prompt, int rank, const std::vector<int64_t>& first,
           const std::vector<int64_t>& second) {
    rows.items.push_back(static_cast<int64_t>(key));
    rows.numbers["prompt_id"].push_back(static_cast<double>(prompt));
    rows.numbers["rank"].push_back(rank);
    rows.tokens["resp1_tokens"].push_back(first);
    rows.tokens["resp2_tokens"].push_back(second);
  }
};

// SRLM's scores of one prompt's responses: sampled judgements or the expected score.
std::vector<double> srlm_scores(const IterationContext& context, Transformer& policy,
                                const std::string& instruction,
                                const std::vector<std::string>& texts, size_t prompt,
                                SampledPairs& out) {
  torch::NoGradGuard no_grad;
  const SelfRewardingPlan& plan = context.plan;
  const IterationJudges& judges = context.judges;
  const std::vector<std::string> instructions(texts.size(), instruction);
  if (!judges.sampled_template())
    return to_doubles(expected_scores(policy, *judges.pointwise(), instructions, texts));
  SampledJudgeSettings settings = plan.sampled_judge;
  settings.sampling.seed =
      RngStream::derive(plan.seed, {static_cast<uint64_t>(context.t), kStreamJudge}).next_u64();
  std::vector<uint64_t> streams;
  for (int a = 0; a < plan.samples; ++a) streams.push_back(prompt * plan.samples + a);
  const SampledScores sampled =
      sampled_judge_scores(policy, judges.tokenizer(), judges.pairwise().chat_template,
                           *judges.sampled_template(), instructions, texts, streams, settings);
  out.judgements += sampled.judgements;
  out.parse_failures += sampled.parse_failures;
  return sampled.scores;
}

// Index of the pair (a, b), a < b, in the order a prompt's N samples are paired: (0, 1), (0, 2),
// ..., (1, 2), ...
size_t pair_index(int a, int b, int samples) {
  return static_cast<size_t>(a * samples - a * (a + 1) / 2 + (b - a - 1));
}

// The oracle's pairs of one prompt: its best-scored response against the worst, or against every
// response scored lower (one pair a distinct text). None when all score the same.
void oracle_best_pairs(const IterationContext& context, size_t prompt,
                       const std::vector<std::vector<int64_t>>& samples,
                       const std::vector<std::string>& texts, SampledPairs& out) {
  const SelfRewardingPlan& plan = context.plan;
  const size_t pairs_a_prompt = static_cast<size_t>(plan.samples * (plan.samples - 1) / 2);
  std::vector<double> quality;
  for (const std::string& text : texts)
    quality.push_back(context.world->quality(context.prompts[prompt], text));
  // Named variables, not a structured binding: the lambda below captures them (C++17).
  const auto extremes = best_vs_worst(quality);
  const int best = extremes.first, worst = extremes.second;
  if (best < 0) return;
  auto add = [&](int other) {
    const size_t index = pair_index(std::min(best, other), std::max(best, other), plan.samples);
    out.add(prompt * pairs_a_prompt + index, prompt, context.copies().rank(), samples[best],
            samples[other]);
  };
  if (plan.oracle_pairs == OraclePairs::kBestVsWorst) {
    add(worst);
    return;
  }
  std::set<std::string> paired;
  for (int other = 0; other < plan.samples; ++other) {
    if (quality[other] < quality[best] && paired.insert(texts[other]).second) add(other);
  }
}

// The pairs of one prompt's N samples.
void pair_samples(const IterationContext& context, Transformer& policy, size_t prompt,
                  const std::vector<std::vector<int64_t>>& samples, SampledPairs& out) {
  const SelfRewardingPlan& plan = context.plan;
  const int rank = context.copies().rank();
  const size_t pairs_a_prompt = static_cast<size_t>(plan.samples * (plan.samples - 1) / 2);
  std::vector<std::string> texts;
  for (const auto& sample : samples) texts.push_back(context.judges.tokenizer().decode(sample));
  if (srlm_pairs_best_vs_worst(plan)) {
    // SRLM: the prompt's best-scored response against its worst, ties dropped.
    const std::vector<double> scores =
        srlm_scores(context, policy, context.prompts[prompt], texts, prompt, out);
    const auto [best, worst] = best_vs_worst(scores);
    if (best >= 0 && texts[best] != texts[worst])
      out.add(prompt * pairs_a_prompt, prompt, rank, samples[best], samples[worst]);
    return;
  }
  if (plan.scir.method.labels == LabelSource::kOracle && plan.oracle_pairs != OraclePairs::kAll) {
    oracle_best_pairs(context, prompt, samples, texts, out);
    return;
  }
  // Distinct pairs (identical responses carry no preference), then K of them at random.
  std::vector<std::pair<int, int>> candidates;
  std::vector<size_t> indices;
  for (int a = 0; a < plan.samples; ++a) {
    for (int b = a + 1; b < plan.samples; ++b) {
      if (texts[a] == texts[b]) continue;
      candidates.push_back({a, b});
      indices.push_back(pair_index(a, b, plan.samples));
    }
  }
  size_t keep = candidates.size();
  if (plan.pairs_per_prompt > 0 && keep > static_cast<size_t>(plan.pairs_per_prompt)) {
    RngStream rng =
        RngStream::derive(plan.seed, {static_cast<uint64_t>(context.t), kStreamPairs, prompt});
    for (size_t k = 0; k < static_cast<size_t>(plan.pairs_per_prompt); ++k) {
      const size_t pick = k + rng.next_u64() % (candidates.size() - k);
      std::swap(candidates[k], candidates[pick]);
      std::swap(indices[k], indices[pick]);
    }
    keep = static_cast<size_t>(plan.pairs_per_prompt);
  }
  for (size_t k = 0; k < keep; ++k) {
    const auto [a, b] = candidates[k];
    out.add(prompt * pairs_a_prompt + indices[k], prompt, rank, samples[a], samples[b]);
  }
}

// What generation's KV cache will hold at most on this rank: `rows` sequences of its longest
// prompt and every new token, on a GPU with room for refills (main.log's memory accounting
// beside the training phases').
void log_kv_cache_budget(const IterationContext& context, const Transformer& policy,
                         const std::vector<std::vector<int64_t>>& prompts, size_t rows,
                         bool refilling) {
  size_t longest = 0;
  for (const std::vector<int64_t>& prompt : prompts) longest = std::max(longest, prompt.size());
  // Only the device loop refills (the host loop decodes batch by batch).
  const int64_t capacity = device_cache_positions(
      static_cast<int64_t>(longest), context.plan.max_new_tokens,
      refilling && policy.device().is_cuda(), policy.config().max_position_embeddings);
  log_info(cat("[", context.name(), "] KV cache of generation at most ",
               megabytes(policy.cache_bytes(static_cast<int64_t>(rows), capacity)), " a rank (",
               rows, " sequences x ", capacity, " positions, ", c10::toString(policy.dtype()),
               ")"));
}

SampledPairs sample_pairs(const IterationContext& context, Transformer& policy) {
  const SelfRewardingPlan& plan = context.plan;
  const Tokenizer& tokenizer = context.judges.tokenizer();
  Comm& copies = context.copies();
  SamplingOptions sampling;
  sampling.temperature = plan.temperature;
  sampling.top_p = plan.top_p;
  sampling.max_new_tokens = plan.max_new_tokens;
  sampling.seed =
      RngStream::derive(plan.seed, {static_cast<uint64_t>(context.t), kStreamGenerate}).next_u64();
  SampledPairs out;
  const std::vector<size_t> mine =
      shard_indices(context.prompts.size(), copies.rank(), copies.size());
  // This rank's prompts, encoded once for the cache's budget and the batches.
  std::vector<std::vector<int64_t>> prompts;
  for (size_t i : mine)
    prompts.push_back(
        prompt_ids(tokenizer, context.judges.pairwise().chat_template, context.prompts[i]));
  const size_t per_batch = std::max<size_t>(1, plan.eval.batch_size / plan.samples);
  // Every request of this rank in one call, per_batch prompts' samples decoding at once: on a
  // GPU a finished row takes the next waiting request; the host loop decodes them batch by batch.
  sampling.slots = static_cast<int64_t>(per_batch) * plan.samples;
  std::vector<GenerationRequest> requests;
  for (size_t i = 0; i < mine.size(); ++i) {
    for (int s = 0; s < plan.samples; ++s)
      requests.push_back({prompts[i], mine[i], static_cast<uint64_t>(s)});
  }
  log_kv_cache_budget(context, policy, prompts,
                      std::min(static_cast<size_t>(sampling.slots), requests.size()),
                      static_cast<size_t>(sampling.slots) < requests.size());
  CollectiveWatchdog::instance().set_progress(cat("[", context.name(), "] generation"));
  const auto samples =
      generate(policy, requests, sampling, tokenizer.stop_ids(), tokenizer.pad_id());
  for (size_t i = 0; i < mine.size(); ++i) {
    const auto first = samples.begin() + static_cast<int64_t>(i * plan.samples);
    pair_samples(context, policy, mine[i], {first, first + plan.samples}, out);
  }
  return out;
}

// Rank 0 adds what parallel HDF5 does not write: ids and texts (variable length), and SRLM's
// counts.
void write_sequences(const IterationContext& context, const ItemRows& all,
                     const IterationPairs& pairs) {
  if (context.job().rank() != 0) return;
  const Tokenizer& tokenizer = context.judges.tokenizer();
  H5Group group;
  for (const char* side : {"1", "2"}) {
    const std::string tokens = cat("resp", side, "_tokens");
    std::vector<std::string>& texts = group.text_columns[cat("resp", side, "_text")];
    std::vector<std::vector<int32_t>>& ids = group.token_columns[tokens];
    for (const std::vector<int64_t>& sequence : all.tokens.at(tokens)) {
      texts.push_back(tokenizer.decode(sequence));
      ids.emplace_back(sequence.begin(), sequence.end());
    }
  }
  group.numbers = {{"srlm_judgements", static_cast<double>(pairs.judgements)},
                   {"srlm_parse_failures", static_cast<double>(pairs.judge_parse_failures)}};
  write_h5_group(context.run.h5(), run_contract::iteration_group(context.t) + "/pairs", group,
                 H5GroupWrite::kAddColumns);
}

}  // namespace

IterationPairs generate_phase(const IterationContext& context, Transformer& policy) {
  Comm& copies = context.copies();
  const SampledPairs sampled = sample_pairs(context, policy);
  const ItemRows all = all_gather_item_rows(copies, sampled.rows);
  const std::vector<double> counts = all_reduce_values(
      copies,
      {static_cast<double>(sampled.judgements), static_cast<double>(sampled.parse_failures)},
      ReduceOp::kSum);
  IterationPairs pairs = deal_pairs(context, all);
  pairs.judgements = static_cast<int64_t>(counts[0]);
  pairs.judge_parse_failures = static_cast<int64_t>(counts[1]);
  if (context.world) {
    for (IterationPair& p : pairs.mine) {
      p.q1 = context.world->quality(p.pair.instruction, p.pair.text1);
      p.q2 = context.world->quality(p.pair.instruction, p.pair.text2);
    }
  }
  if (context.plan.srlm_sampled_judge && context.plan.scir.method.labels == LabelSource::kSrlm) {
    log_info(cat("[", context.name(), "] SRLM judge: ", pairs.judgements, " sampled judgements, ",
                 pairs.judge_parse_failures, " without a parsable score"));
  }
  log_info(cat("[", context.name(), "] ", context.prompts.size(), " prompts x ",
               context.plan.samples, " samples -> ", pairs.total, " distinct pairs"));
  write_pair_columns(context, pairs, PairStage::kGenerated);
  write_sequences(context, all, pairs);
  context.mark_done("generate");
  return pairs;
}

}  // namespace scir
