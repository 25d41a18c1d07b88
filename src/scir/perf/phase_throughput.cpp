#include "scir/perf/phase_throughput.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>

#include "scir/core/errors.h"
#include "scir/core/platform_info.h"
#include "scir/core/rng.h"
#include "scir/model/generation.h"
#include "scir/model/lora_adapter.h"
#include "scir/model/sequence_logprobs.h"
#include "scir/perf/decode_traffic.h"
#include "scir/perf/model_flops.h"
#include "scir/rewards/grm.h"
#include "scir/train/data_parallel_optimizer.h"
#include "scir/train/lm_trainer.h"
#include "scir/train/scir_step.h"

namespace scir {
namespace {

using Clock = std::chrono::steady_clock;

std::string random_text(RngStream& rng, int64_t characters) {
  std::string text;
  for (int64_t i = 0; i < characters; ++i)
    text.push_back(i % 6 == 5 ? ' ' : static_cast<char>('a' + rng.next_u64() % 26));
  return text;
}

// What the peak is measured with: sgemm on the CPU, the model's dtype on a GPU.
std::pair<std::string, double> measure_peak(const Transformer& model, double seconds) {
  if (!model.device().is_cuda()) return {"sgemm float32 1024^3", measure_sgemm_gflops(seconds)};
  const auto options = torch::TensorOptions(model.device()).dtype(model.dtype());
  return {cat("gemm ", c10::toString(model.dtype()), " 8192^3"),
          measure_matmul_gflops(seconds, 8192, options)};
}

// What a call put through the model: tokens and their model FLOPs (perf/model_flops).
struct PhaseWork {
  double tokens = 0, flops = 0;
  double bytes = 0;  // the least memory read (generation's decoding steps), 0: not counted
  PhaseWork& operator+=(const PhaseWork& other) {
    tokens += other.tokens;
    flops += other.flops;
    bytes += other.bytes;
    return *this;
  }
};

// Runs `call` `calls` times after one warm-up call; the device's queue is drained before the
// clock starts and stops.
PhaseThroughput timed(Comm& comm, const std::string& phase, const torch::Device& device, int calls,
                      const PhaseBenchResult& bench, const PhaseBenchSettings& settings,
                      const std::function<PhaseWork()>& call) {
  call();  // warm-up: allocator, thread pool
  synchronize_device(device);
  comm.barrier();  // the ranks start together: the job's rate is all tokens over the slowest
  PhaseThroughput result;
  result.phase = phase;
  const auto start = Clock::now();
  PhaseWork work;
  for (int r = 0; r < calls; ++r) work += call();
  synchronize_device(device);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.tokens = all_reduce_scalar(comm, work.tokens, ReduceOp::kSum);
  result.seconds = all_reduce_scalar(comm, seconds, ReduceOp::kMax);
  result.tokens_per_s = result.tokens / result.seconds;
  result.gflops_per_s = all_reduce_scalar(comm, work.flops, ReduceOp::kSum) / result.seconds / 1e9;
  result.mfu = result.gflops_per_s / bench.peak_gflops;
  if (settings.nominal_peak_tflops > 0)
    result.mfu_nominal = result.gflops_per_s / (settings.nominal_peak_tflops * 1e3);
  result.gbytes_per_s = all_reduce_scalar(comm, work.bytes, ReduceOp::kSum) / result.seconds / 1e9;
  if (work.bytes > 0 && settings.nominal_bandwidth_gbs > 0)
    result.bandwidth_share = result.gbytes_per_s / (settings.nominal_bandwidth_gbs * comm.size());
  return result;
}

}  // namespace

const std::vector<std::string>& phase_bench_phases() {
  static const std::vector<std::string> phases = {"generation", "scoring",   "judging",
                                                  "sft_step",   "scir_step", "dpo_step"};
  return phases;
}

PhaseBenchResult run_phase_bench(Comm& comm, Transformer& model, const Tokenizer& tokenizer,
                                 const PhaseBenchSettings& settings) {
  PhaseBenchResult result;
  const torch::Device device = model.device();
  result.device = device.str();
  comm.barrier();  // every rank measures at once, as they compute in the phases
  std::tie(result.peak, result.peak_gflops) = measure_peak(model, settings.sgemm_seconds);
  result.peak_gflops = all_reduce_scalar(comm, result.peak_gflops, ReduceOp::kSum);
  const auto wanted = [&](const std::string& phase) {
    return settings.phases.empty() || std::find(settings.phases.begin(), settings.phases.end(),
                                                phase) != settings.phases.end();
  };
  // Times a wanted phase into result.phases; true when it ran.
  const auto timed_phase = [&](const std::string& phase, int calls,
                               const std::function<PhaseWork()>& call) {
    if (!wanted(phase)) return false;
    result.phases.push_back(timed(comm, phase, device, calls, result, settings, call));
    if (settings.profiler && phase == settings.profile_phase) settings.profiler([&] { call(); });
    return true;
  };
  const ModelConfig& config = model.config();
  result.multiplying_parameters = multiplying_parameters(config);
  RngStream rng = RngStream::derive(settings.seed, {0xbe7c4u});
  std::vector<std::string> instructions, responses_a, responses_b;
  for (int64_t i = 0; i < settings.batch; ++i) {
    instructions.push_back(random_text(rng, settings.prompt_tokens - 1));   // BOS is the first
    responses_a.push_back(random_text(rng, settings.response_tokens - 1));  // EOS the last
    responses_b.push_back(random_text(rng, settings.response_tokens - 1));
  }
  std::vector<PromptResponse> sequences;
  std::vector<TrainingPair> pairs;
  std::vector<JudgedPair> judged;
  // Token counts of the sequences through the model: prompt + first response, and both
  // responses of each pair after their prompt.
  std::vector<int64_t> sequence_lengths, pair_lengths, judge_lengths;
  for (int64_t i = 0; i < settings.batch; ++i) {
    std::vector<int64_t> prompt = prompt_ids(tokenizer, ChatTemplate::kNone, instructions[i]);
    std::vector<int64_t> a = tokenizer.encode(responses_a[i]), b = tokenizer.encode(responses_b[i]);
    a.push_back(tokenizer.eos_id());
    b.push_back(tokenizer.eos_id());
    sequences.push_back({prompt, a});
    pairs.push_back({instructions[i], prompt, responses_a[i], responses_b[i], a, b, -20.0, -20.0});
    judged.push_back({instructions[i], responses_a[i], responses_b[i]});
    sequence_lengths.push_back(static_cast<int64_t>(prompt.size() + a.size()));
    pair_lengths.push_back(sequence_lengths.back());
    pair_lengths.push_back(static_cast<int64_t>(prompt.size() + b.size()));
  }
  // Tokens and FLOPs of sequences of these lengths through a forward, or with `backward` a
  // forward and its backward.
  const auto work_of = [&](const std::vector<int64_t>& lengths, bool backward) {
    PhaseWork work;
    for (int64_t length : lengths) {
      work.tokens += static_cast<double>(length);
      work.flops += backward ? sequence_training_flops(config, length)
                             : sequence_forward_flops(config, length);
    }
    return work;
  };
  const JudgeTemplate judge_text = JudgeTemplate::from_text(
      "Which response is better?\n{instruction}\nA: {response_a}\nB: {response_b}\nBetter:",
      JudgeKind::kPairwise, "bench");
  const PairwiseJudge judge =
      PairwiseJudge::with_ab_verdicts(tokenizer, ChatTemplate::kNone, judge_text);
  for (const JudgedPair& pair : judged) {
    judge_lengths.push_back(
        static_cast<int64_t>(judge.prompt(pair.instruction, pair.first, pair.second).size()));
    judge_lengths.push_back(
        static_cast<int64_t>(judge.prompt(pair.instruction, pair.second, pair.first).size()));
  }

  model.eval();
  {
    SamplingOptions sampling;
    sampling.temperature = 1.0;
    sampling.top_p = 1.0;
    sampling.max_new_tokens = settings.new_tokens;
    sampling.finished_check_every = settings.finished_check_every;
    std::vector<GenerationRequest> requests;
    for (int64_t i = 0; i < settings.batch; ++i)
      requests.push_back({sequences[i].prompt, static_cast<uint64_t>(i), 0});
    // EOS is not a stop here: -1 is no token, so every sequence runs new_tokens steps.
    const int64_t element_bytes = static_cast<int64_t>(c10::elementSize(model.dtype()));
    timed_phase("generation", settings.repeats, [&] {
      PhaseWork work;
      const std::vector<std::vector<int64_t>> outputs =
          generate(model, requests, sampling, {}, tokenizer.pad_id());
      size_t steps = 0;
      for (size_t i = 0; i < outputs.size(); ++i) {
        // New tokens only (the prompts' prefill is not counted); the k-th is computed at
        // position prompt + k - 1 and attends over prompt + k positions.
        const auto prompt = static_cast<int64_t>(requests[i].prompt.size());
        for (size_t k = 0; k < outputs[i].size(); ++k) {
          const int64_t context = prompt + static_cast<int64_t>(k) + 1;
          work.flops += decode_step_flops(config, context);
          work.bytes += decode_cache_bytes(config, element_bytes, context);
        }
        work.tokens += static_cast<double>(outputs[i].size());
        steps = std::max(steps, outputs[i].size());
      }
      // The weights once a step: the batch shares them.
      work.bytes += static_cast<double>(steps) * decode_weight_bytes(config, element_bytes);
      return work;
    });
  }
  if (settings.refill_rounds > 0) {
    SamplingOptions sampling;
    sampling.temperature = 1.0;
    sampling.top_p = 1.0;
    sampling.max_new_tokens = settings.new_tokens;
    sampling.finished_check_every = settings.finished_check_every;
    sampling.decode_on_device = true;
    std::vector<GenerationRequest> requests;
    for (int64_t i = 0; i < settings.refill_rounds * settings.batch; ++i)
      requests.push_back({sequences[i % settings.batch].prompt, static_cast<uint64_t>(i), 0});
    std::vector<int64_t> stops(std::max<int64_t>(1, config.vocab_size / settings.new_tokens));
    std::iota(stops.begin(), stops.end(), 0);
    const auto new_tokens = [](const std::vector<std::vector<int64_t>>& outputs) {
      PhaseWork work;
      for (const auto& output : outputs) work.tokens += static_cast<double>(output.size());
      return work;
    };
    timed_phase("generation_batched", settings.repeats, [&] {
      PhaseWork work;
      for (size_t first = 0; first < requests.size(); first += settings.batch) {
        const std::vector<GenerationRequest> batch(requests.begin() + first,
                                                   requests.begin() + first + settings.batch);
        work += new_tokens(generate(model, batch, sampling, stops, tokenizer.pad_id()));
      }
      return work;
    });
    SamplingOptions refilled = sampling;
    refilled.slots = settings.batch;
    timed_phase("generation_refilled", settings.repeats, [&] {
      return new_tokens(generate(model, requests, refilled, stops, tokenizer.pad_id()));
    });
  }
  timed_phase("scoring", settings.repeats, [&] {
    torch::NoGradGuard no_grad;
    response_logprobs(model, sequences, tokenizer.pad_id());
    return work_of(sequence_lengths, false);
  });
  timed_phase("judging", settings.repeats, [&] {
    judge_pairs(model, judge, judged, settings.batch);
    return work_of(judge_lengths, false);
  });
  // Without a training phase nothing is trained and no optimiser state is allocated (a 7B
  // shape's would not fit beside its generation).
  if (!wanted("sft_step") && !wanted("scir_step") && !wanted("dpo_step") &&
      !(settings.lora_rank > 0 && wanted("scir_step_lora")))
    return result;
  // One call trains `repeats` steps, as a run does: the optimiser is set up once, not a step.
  LmTrainOptions sft;
  sft.steps = settings.repeats;
  sft.batch_size = settings.batch * comm.size();
  sft.log_every = 1 << 30;
  sft.lr = 1e-6;
  sft.warmup_steps = 0;
  sft.activation_checkpointing = settings.activation_checkpointing;
  timed_phase("sft_step", 1, [&] {
    train_language_model(model, comm, sequences, sft, tokenizer.pad_id());
    PhaseWork work = work_of(sequence_lengths, true);
    work.tokens *= settings.repeats;
    work.flops *= settings.repeats;
    return work;
  });
  // The SCIR and DPO steps with their optimiser step (gradient average, clipping, AdamW), as an
  // iteration runs them.
  AdamWSettings adamw;
  adamw.lr = 1e-6;
  DataParallelOptimizer optimizer(comm, model.parameters(), adamw, DataParallelSettings{},
                                  model.tensor_parallel_norm());
  // The optimiser steps' times of a phase's calls, the warm-up call's first.
  std::vector<double> optimizer_seconds;
  const auto training_step = [&](DataParallelOptimizer& trained,
                                 const std::vector<TrainingPair>& batch, ScirSettings scir) {
    trained.zero_grad();
    scir.loss_scale = trained.loss_scale();
    scir_step(model, judge, batch, scir, comm);
    synchronize_device(device);
    const auto start = Clock::now();
    trained.step(1.0, "bench");
    synchronize_device(device);
    optimizer_seconds.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  };
  // A training phase timed, with its optimiser's share of the time (the slowest rank's).
  const auto timed_training = [&](const std::string& phase,
                                  const std::function<PhaseWork()>& call) {
    optimizer_seconds.clear();
    if (!timed_phase(phase, settings.repeats, call)) return;
    PhaseThroughput& measured = result.phases.back();
    double seconds = 0;
    for (int r = 1; r <= settings.repeats; ++r) seconds += optimizer_seconds.at(r);
    measured.optimizer_share = all_reduce_scalar(comm, seconds, ReduceOp::kMax) / measured.seconds;
  };
  ScirSettings scir;
  model.train();
  model.set_activation_checkpointing(settings.activation_checkpointing);
  // Both responses of every pair with their prompt, and the judge prompts in both orders.
  const auto scir_work = [&] {
    PhaseWork work = work_of(pair_lengths, true);
    work += work_of(judge_lengths, true);
    return work;
  };
  timed_training("scir_step", [&] {
    training_step(optimizer, pairs, scir);
    return scir_work();
  });
  // The same step with fixed labels (the labelled methods): DPO alone, no judge forwards, the
  // work a DPO trainer does with cached reference log-probs.
  ScirSettings dpo;
  dpo.method = {LabelSource::kOracle, false};
  std::vector<TrainingPair> labelled = pairs;
  for (TrainingPair& pair : labelled) pair.fixed_label = 1;
  timed_training("dpo_step", [&] {
    training_step(optimizer, labelled, dpo);
    return work_of(pair_lengths, true);
  });
  if (settings.lora_rank > 0) {
    // The SCIR step with LoRA: adapters on every projection train, the model frozen under them.
    LoraSettings lora;
    lora.rank = settings.lora_rank;
    LoraAdapter adapter(model, lora, settings.seed);
    DataParallelOptimizer lora_optimizer(comm, adapter.parameters(), adamw, DataParallelSettings{},
                                         adapter.tensor_parallel_norm());
    timed_training("scir_step_lora", [&] {
      training_step(lora_optimizer, pairs, scir);
      return scir_work();
    });
  }
  model.set_activation_checkpointing(false);
  model.eval();
  return result;
}

std::string phase_bench_json(const PhaseBenchResult& result, const PhaseBenchSettings& settings) {
  nlohmann::json phases = nlohmann::json::array();
  for (const PhaseThroughput& p : result.phases) {
    phases.push_back({{"phase", p.phase},
                      {"tokens", p.tokens},
                      {"seconds", p.seconds},
                      {"tokens_per_s", p.tokens_per_s},
                      {"gflops_per_s", p.gflops_per_s},
                      {"mfu", p.mfu},
                      {"mfu_nominal", p.mfu_nominal},
                      {"optimizer_share", p.optimizer_share},
                      {"gbytes_per_s", p.gbytes_per_s},
                      {"bandwidth_share", p.bandwidth_share}});
  }
  return nlohmann::json({{"device", result.device},
                         {"peak", result.peak},
                         {"peak_gflops", result.peak_gflops},
                         {"nominal_peak_tflops", settings.nominal_peak_tflops},
                         {"multiplying_parameters", result.multiplying_parameters},
                         {"batch", settings.batch},
                         {"activation_checkpointing", settings.activation_checkpointing},
                         {"lora_rank", settings.lora_rank},
                         {"prompt_tokens", settings.prompt_tokens},
                         {"response_tokens", settings.response_tokens},
                         {"new_tokens", settings.new_tokens},
                         {"finished_check_every", settings.finished_check_every},
                         {"nominal_bandwidth_gbs", settings.nominal_bandwidth_gbs},
                         {"repeats", settings.repeats},
                         {"phases", phases}})
      .dump(2);
}

std::string phase_bench_table(const PhaseBenchResult& result) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(1);
  out << "on " << result.device << ": peak (" << result.peak << ") " << result.peak_gflops
      << " GFLOP/s; N = " << result.multiplying_parameters << " multiplying parameters\n";
  const bool nominal = !result.phases.empty() && result.phases.front().mfu_nominal > 0;
  out << "phase             tokens/s    GFLOP/s   MFU   optimiser"
      << (nominal ? "   MFU of nominal" : "") << "\n";
  for (const PhaseThroughput& p : result.phases) {
    out << p.phase << std::string(16 - std::min<size_t>(15, p.phase.size()), ' ');
    out.width(10);
    out << p.tokens_per_s;
    out.width(11);
    out << p.gflops_per_s;
    out.precision(3);
    out << "   " << p.mfu;
    if (p.optimizer_share >= 0) {
      out << "   " << p.optimizer_share;
    } else {
      out << "   -    ";
    }
    if (nominal) out << "   " << p.mfu_nominal;
    out << "\n";
    out.precision(1);
  }
  for (const PhaseThroughput& p : result.phases) {
    if (p.gbytes_per_s <= 0) continue;
    out << p.phase << ": " << p.gbytes_per_s << " GB/s of weights and key-value cache read";
    out.precision(3);
    if (p.bandwidth_share >= 0) out << ", " << p.bandwidth_share << " of the nominal bandwidth";
    out << "\n";
    out.precision(1);
  }
  return out.str();
}

}  // namespace scir
