// Throughput of each phase of the self-rewarding loop on one model, measured in one run with the
// sgemm peak of the same threads: generation, scoring (response log-probs), judging (pairwise
// verdicts, both orders), an SFT step, a SCIR step, and the DPO step of the labelled methods
// (the SCIR step without its judge forwards). Inputs are random token sequences of
// fixed lengths, so a run measures speed only.
//
// FLOPs counted: perf/model_flops (PaLM's count: 2 N a token and attention's two products
// through a forward, three times that through forward + backward). The training steps include
// their optimiser step, and the SFT phase trains its steps in one call (the optimiser set up
// once), as in a run. Prompts' prefill is not counted in generation.
// Over several ranks, each runs the batch on its own (the training steps split a batch of
// batch x ranks): tokens are summed over the ranks, time is the slowest rank's, and the peak is
// the sum of the ranks' peaks measured at once, so the figures are the job's.
// MFU = counted FLOP/s over the matrix-product peak measured in the same run: float32 sgemm
// (1024^3) on the CPU's threads, or products of 8192^3 in the model's dtype on a GPU. A nominal
// peak (a datasheet's, e.g. 989 TFLOP/s for an H100's dense bfloat16) gives a second MFU.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "scir/dist/comm.h"
#include "scir/model/transformer.h"
#include "scir/tokenizer/tokenizer.h"

namespace scir {

// The phases run_phase_bench measures, in its order: generation, scoring, judging, sft_step,
// scir_step, dpo_step (and scir_step_lora with a LoRA rank, generation_batched and
// generation_refilled with refill_rounds).
const std::vector<std::string>& phase_bench_phases();

struct PhaseBenchSettings {
  int64_t batch = 16;            // sequences (or pairs) a call
  int64_t prompt_tokens = 24;    // prompt length
  int64_t response_tokens = 16;  // response length (scoring, judging, training)
  int64_t new_tokens = 32;       // generation length (no early stop)
  int repeats = 3;               // calls a phase; the time is their total
  double sgemm_seconds = 1.0;    // length of the peak measurement
  uint64_t seed = 1;
  double nominal_peak_tflops = 0;  // 0: no second MFU
  // The training steps recompute each layer in the backward (their MFU still counts the model's
  // FLOPs only, so the recomputation lowers it).
  bool activation_checkpointing = false;
  // > 0: a LoRA SCIR step as well (scir_step_lora, adapters of this rank on every projection,
  // the model frozen under them). Its MFU counts the full step's FLOPs for the same tokens, so
  // its ratio to scir_step's is the speed-up; a frozen weight skips its gradient product.
  int64_t lora_rank = 0;
  // Generation on a GPU: the host reads whether every row has finished every this many steps
  // (SamplingOptions::finished_check_every).
  int64_t finished_check_every = 8;
  // > 0: generation of refill_rounds x batch requests whose lengths differ (each stops at one of
  // the first vocabulary / new_tokens ids, so a sample's length is about geometric, capped at
  // new_tokens), once batch by batch (generation_batched: a batch runs at the pace of its longest
  // sample) and once in `batch` slots that finished rows hand to waiting requests
  // (generation_refilled, SamplingOptions::slots); both in the device loop on every device.
  int64_t refill_rounds = 0;
  // The phases to time (phase_bench_phases' names); empty: all of them. Generation alone fits a
  // 7B shape that a training step would not.
  std::vector<std::string> phases;
  // A device's nominal memory bandwidth in GB/s (0: none): generation's share of its bound.
  double nominal_bandwidth_gbs = 0;
  // When both are set, the phase named `profile_phase` runs once more, after it is timed, inside
  // `profiler` (which may record a trace of it); that run is not timed.
  std::string profile_phase;
  std::function<void(const std::function<void()>& run)> profiler;
};

struct PhaseThroughput {
  std::string phase;
  double tokens = 0;   // tokens through the model over the repeats
  double seconds = 0;  // wall time over the repeats
  double tokens_per_s = 0;
  double gflops_per_s = 0;  // counted model FLOPs / s, in GFLOP/s
  double mfu = 0;           // of the measured peak
  double mfu_nominal = 0;   // of the nominal peak (0 without one)
  // The optimiser step's share of the timed time (gradient average, clipping, AdamW) in the
  // SCIR and DPO steps; -1 where not measured on its own (the other phases, the SFT steps).
  double optimizer_share = -1;
  // Generation: the least bytes its steps read a second (perf/decode_traffic), in GB/s, and
  // their share of the nominal bandwidth, the share of the memory-bandwidth bound it reaches;
  // 0 and -1 elsewhere, and -1 without a nominal bandwidth.
  double gbytes_per_s = 0;
  double bandwidth_share = -1;
};

struct PhaseBenchResult {
  std::string device;  // where the model ran, e.g. "cpu" or "cuda:0"
  std::string peak;    // what the peak measured, e.g. "sgemm float32 1024^3"
  double peak_gflops = 0;
  int64_t multiplying_parameters = 0;  // N of the FLOP count
  std::vector<PhaseThroughput> phases;
};

// Texts are random lowercase words, so token counts depend on the tokenizer (bytes: one a
// character); lengths above are in tokens of the byte tokenizer, characters otherwise. The
// model runs where its parameters are (Transformer::device) in its dtype.
PhaseBenchResult run_phase_bench(Comm& comm, Transformer& model, const Tokenizer& tokenizer,
                                 const PhaseBenchSettings& settings);

// The result as JSON (one object) and as a table.
std::string phase_bench_json(const PhaseBenchResult& result, const PhaseBenchSettings& settings);
std::string phase_bench_table(const PhaseBenchResult& result);

}  // namespace scir
