#include "scir/perf/phase_throughput.h"

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "scir/core/errors.h"
#include "scir/core/platform_info.h"
#include "scir/core/rng.h"
#include "scir/model/generation.h"
#include "scir/model/sequence_logprobs.h"
#include "scir/rewards/grm.h"
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

// Runs `call` (which returns the tokens it put through the model) `repeats` times after one
// warm-up call; the device's queue is drained before the clock starts and stops.
PhaseThroughput timed(Comm& comm, const std::string& phase, const torch::Device& device,
                      int repeats, double flops_per_token, const PhaseBenchResult& bench,
                      double nominal_peak_tflops, const std::function<double()>& call) {
  call();  // warm-up: allocator, thread pool
  synchronize_device(device);
  comm.barrier();  // the ranks start together: the job's rate is all tokens over the slowest
  PhaseThroughput result;
  result.phase = phase;
  const auto start = Clock::now();
  double tokens = 0;
  for (int r = 0; r < repeats; ++r) tokens += call();
  synchronize_device(device);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.tokens = all_reduce_scalar(comm, tokens, ReduceOp::kSum);
  result.seconds = all_reduce_scalar(comm, seconds, ReduceOp::kMax);
  result.tokens_per_s = result.tokens / result.seconds;
  result.gflops_per_s = result.tokens_per_s * flops_per_token / 1e9;
  result.mfu = result.gflops_per_s / bench.peak_gflops;
  if (nominal_peak_tflops > 0)
    result.mfu_nominal = result.gflops_per_s / (nominal_peak_tflops * 1e3);
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
  const auto timed_phase = [&](const std::string& phase, double flops_per_token,
                               const std::function<double()>& call) {
    PhaseThroughput measured = timed(comm, phase, device, settings.repeats, flops_per_token, result,
                                     settings.nominal_peak_tflops, call);
    if (settings.profiler && phase == settings.profile_phase) settings.profiler([&] { call(); });
    return measured;
  };
  const ModelConfig& config = model.config();
  result.multiplying_parameters = config.parameter_count() - config.vocab_size * config.hidden_size;
  const double n = static_cast<double>(result.multiplying_parameters);
  RngStream rng = RngStream::derive(settings.seed, {0xbe7c4u});
  std::vector<std::string> instructions, responses_a, responses_b;
  for (int64_t i = 0; i < settings.batch; ++i) {
    instructions.push_back(random_text(rng, settings.prompt_tokens - 1));   // BOS is the first
    responses_a.push_back(random_text(rng, settings.response_tokens - 1));  // EOS the last
    responses_b.push_back(random_text(rng, settings.response_tokens - 1));
  }
  std::vector<PromptResponse> sequences, second_responses;
  std::vector<TrainingPair> pairs;
  std::vector<JudgedPair> judged;
  for (int64_t i = 0; i < settings.batch; ++i) {
    std::vector<int64_t> prompt = prompt_ids(tokenizer, ChatTemplate::kNone, instructions[i]);
    std::vector<int64_t> a = tokenizer.encode(responses_a[i]), b = tokenizer.encode(responses_b[i]);
    a.push_back(tokenizer.eos_id());
    b.push_back(tokenizer.eos_id());
    sequences.push_back({prompt, a});
    second_responses.push_back({prompt, b});
    pairs.push_back({instructions[i], prompt, responses_a[i], responses_b[i], a, b, -20.0, -20.0});
    judged.push_back({instructions[i], responses_a[i], responses_b[i]});
  }
  const auto sequence_tokens = [](const std::vector<PromptResponse>& batch) {
    double tokens = 0;
    for (const PromptResponse& s : batch)
      tokens += static_cast<double>(s.prompt.size() + s.response.size());
    return tokens;
  };
  const JudgeTemplate judge_text = JudgeTemplate::from_text(
      "Which response is better?\n{instruction}\nA: {response_a}\nB: {response_b}\nBetter:",
      JudgeKind::kPairwise, "bench");
  const PairwiseJudge judge =
      PairwiseJudge::with_ab_verdicts(tokenizer, ChatTemplate::kNone, judge_text);
  double judge_tokens = 0;
  for (const JudgedPair& pair : judged) {
    judge_tokens +=
        static_cast<double>(judge.prompt(pair.instruction, pair.first, pair.second).size() +
                            judge.prompt(pair.instruction, pair.second, pair.first).size());
  }

  model.eval();
  {
    SamplingOptions sampling;
    sampling.temperature = 1.0;
    sampling.top_p = 1.0;
    sampling.max_new_tokens = settings.new_tokens;
    std::vector<GenerationRequest> requests;
    for (int64_t i = 0; i < settings.batch; ++i)
      requests.push_back({sequences[i].prompt, static_cast<uint64_t>(i), 0});
    // EOS is not a stop here: -1 is no token, so every sequence runs new_tokens steps.
    result.phases.push_back(timed_phase("generation", 2 * n, [&] {
      double tokens = 0;
      for (const auto& out : generate(model, requests, sampling, -1, tokenizer.pad_id()))
        tokens += static_cast<double>(out.size());
      return tokens;  // new tokens (the prompts' prefill is not counted)
    }));
  }
  result.phases.push_back(timed_phase("scoring", 2 * n, [&] {
    torch::NoGradGuard no_grad;
    response_logprobs(model, sequences, tokenizer.pad_id());
    return sequence_tokens(sequences);
  }));
  result.phases.push_back(timed_phase("judging", 2 * n, [&] {
    judge_pairs(model, judge, judged, settings.batch);
    return judge_tokens;
  }));
  LmTrainOptions sft;
  sft.steps = 1;
  sft.batch_size = settings.batch * comm.size();
  sft.log_every = 1 << 30;
  sft.lr = 1e-6;
  result.phases.push_back(timed_phase("sft_step", 6 * n, [&] {
    train_language_model(model, comm, sequences, sft, tokenizer.pad_id());
    return sequence_tokens(sequences);
  }));
  ScirSettings scir;
  model.train();
  result.phases.push_back(timed_phase("scir_step", 6 * n, [&] {
    model.zero_grad();
    scir_step(model, judge, pairs, scir, comm);
    // Both responses of every pair with their prompt, and the judge prompts in both orders.
    return sequence_tokens(sequences) + sequence_tokens(second_responses) + judge_tokens;
  }));
  // The same step with fixed labels (the labelled methods): DPO alone, no judge forwards, the
  // work a DPO trainer does with cached reference log-probs.
  ScirSettings dpo;
  dpo.method = ScirMethod::kLabelled;
  std::vector<TrainingPair> labelled = pairs;
  for (TrainingPair& pair : labelled) pair.fixed_label = 1;
  result.phases.push_back(timed_phase("dpo_step", 6 * n, [&] {
    model.zero_grad();
    scir_step(model, judge, labelled, dpo, comm);
    return sequence_tokens(sequences) + sequence_tokens(second_responses);
  }));
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
                      {"mfu_nominal", p.mfu_nominal}});
  }
  return nlohmann::json({{"device", result.device},
                         {"peak", result.peak},
                         {"peak_gflops", result.peak_gflops},
                         {"nominal_peak_tflops", settings.nominal_peak_tflops},
                         {"multiplying_parameters", result.multiplying_parameters},
                         {"batch", settings.batch},
                         {"prompt_tokens", settings.prompt_tokens},
                         {"response_tokens", settings.response_tokens},
                         {"new_tokens", settings.new_tokens},
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
  out << "phase         tokens/s    GFLOP/s   MFU" << (nominal ? "     MFU of nominal" : "")
      << "\n";
  for (const PhaseThroughput& p : result.phases) {
    out << p.phase << std::string(12 - std::min<size_t>(11, p.phase.size()), ' ');
    out.width(10);
    out << p.tokens_per_s;
    out.width(11);
    out << p.gflops_per_s;
    out.precision(3);
    out << "   " << p.mfu;
    if (nominal) out << "   " << p.mfu_nominal;
    out << "\n";
    out.precision(1);
  }
  return out.str();
}

}  // namespace scir
