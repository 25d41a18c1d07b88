// The phase benchmark (perf/phase_throughput) for a ~125M-parameter Mistral-shaped model
// (hidden 768, 12 layers, 12 heads sharing 4 key/value heads, SwiGLU 2048, vocabulary 32000,
// untied head): tokens/s and MFU of generation, scoring, judging, the SFT step and the SCIR
// step, against the matrix-product peak measured in the same run and an optional nominal peak.
// Needs LibTorch alone, so it builds against a GPU machine's PyTorch (bench/gpu.sh). Usage:
//   scir_gpu_bench [--device cuda] [--dtype bfloat16] [--batch 64] [--prompt-tokens 128]
//                  [--response-tokens 128] [--new-tokens 128] [--repeats 3]
//                  [--nominal-tflops 989] [--out results.json]
//                  [--profile-phase sft_step --trace trace.json] [--shape 125m|1b]
//                  [--activation-checkpointing on|off] [--lora-rank 16]
//                  [--finished-check-every 8] [--refill-rounds 0] [--phases generation,scoring]
//                  [--nominal-bandwidth-gbs 3350]
// --profile-phase runs that phase once more after the timings under PyTorch's profiler (kineto:
// operators on the host, kernels on the GPU) and writes a Chrome trace to --trace. --lora-rank R
// adds the SCIR step with LoRA adapters of rank R on every projection (scir_step_lora).
// --finished-check-every K: generation's host reads whether every row has finished every K steps.
// --refill-rounds R: also R x batch requests of differing lengths, batch by batch and in batch
// slots refilled as rows finish (generation_batched, generation_refilled).
// --phases: the phases to time (default all); --nominal-bandwidth-gbs: the card's memory
// bandwidth, for generation's share of its bound (perf/decode_traffic).
#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <torch/csrc/autograd/profiler_kineto.h>

#include "bench_program.h"
#include "scir/core/allocator.h"
#include "scir/core/errors.h"
#include "scir/core/platform_info.h"
#include "scir/core/threads.h"
#include "scir/dist/serial_comm.h"
#include "scir/model/precision.h"
#include "scir/perf/phase_throughput.h"
#include "scir/tokenizer/byte_tokenizer.h"

namespace {

// --shape 125m: a Mistral-shaped ~125M model (100M multiplying parameters); 1b: Llama 3.2 1B's
// shape (1.24B parameters, tied 128,256-token vocabulary); 7b: Mistral-7B's (7.24B parameters;
// its training steps need more than one GPU's memory: time its generation alone, --phases).
scir::ModelConfig config_of(const std::string& shape) {
  scir::ModelConfig config;
  config.bos_token_id = scir::ByteTokenizer::kBos;
  config.eos_token_id = scir::ByteTokenizer::kEos;
  config.max_position_embeddings = 2048;
  if (shape == "125m") {
    config.architecture = "MistralForCausalLM";
    config.hidden_size = 768;
    config.intermediate_size = 2048;
    config.num_hidden_layers = 12;
    config.num_attention_heads = 12;
    config.num_key_value_heads = 4;
    config.head_dim = 64;
    config.vocab_size = 32000;
  } else if (shape == "1b") {
    config.architecture = "LlamaForCausalLM";
    config.hidden_size = 2048;
    config.intermediate_size = 8192;
    config.num_hidden_layers = 16;
    config.num_attention_heads = 32;
    config.num_key_value_heads = 8;
    config.head_dim = 64;
    config.vocab_size = 128256;
    config.tie_word_embeddings = true;
    config.rope.theta = 500000;
  } else if (shape == "7b") {
    config.architecture = "MistralForCausalLM";
    config.hidden_size = 4096;
    config.intermediate_size = 14336;
    config.num_hidden_layers = 32;
    config.num_attention_heads = 32;
    config.num_key_value_heads = 8;
    config.head_dim = 128;
    config.vocab_size = 32000;
    config.rope.theta = 1000000;
  } else {
    throw scir::InputError("option '--shape': expected 125m, 1b or 7b, got '" + shape + "'");
  }
  return config;
}

// One run of a phase under the kineto profiler, saved as a Chrome trace.
void trace_run(const std::function<void()>& run, const torch::Device& device,
               const std::string& path) {
  namespace profiler = torch::autograd::profiler;
  using torch::profiler::impl::ActivityType;
  const torch::profiler::impl::ProfilerConfig config(torch::profiler::impl::ProfilerState::KINETO);
  std::set<ActivityType> activities{ActivityType::CPU};
  if (device.is_cuda()) activities.insert(ActivityType::CUDA);
  profiler::prepareProfiler(config, activities);
  profiler::enableProfiler(config, activities);
  run();
  scir::synchronize_device(device);
  profiler::disableProfiler()->save(path);
}

torch::Device device_named(const std::string& name) {
  try {
    const torch::Device device(name);
    if (!device.is_cuda() || torch::cuda::is_available()) return device;
  } catch (const c10::Error&) {
  }
  throw scir::InputError(
      scir::cat("option '--device': expected cpu or a visible CUDA device, got '", name, "'"));
}

int run(int argc, char** argv) {
  std::map<std::string, std::string> flags =
      scir::bench::read_flags(argc, argv,
                              {{"--device", "cuda"},
                               {"--dtype", "bfloat16"},
                               {"--batch", "64"},
                               {"--prompt-tokens", "128"},
                               {"--response-tokens", "128"},
                               {"--new-tokens", "128"},
                               {"--repeats", "3"},
                               {"--nominal-tflops", "989"},
                               {"--out", ""},
                               {"--profile-phase", ""},
                               {"--trace", ""},
                               {"--shape", "125m"},
                               {"--activation-checkpointing", "off"},
                               {"--lora-rank", "0"},
                               {"--finished-check-every", "8"},
                               {"--refill-rounds", "0"},
                               {"--phases", ""},
                               {"--nominal-bandwidth-gbs", "0"}});
  scir::PhaseBenchSettings settings;
  settings.batch = scir::bench::positive_flag("--batch", flags["--batch"]);
  settings.prompt_tokens = scir::bench::positive_flag("--prompt-tokens", flags["--prompt-tokens"]);
  settings.response_tokens =
      scir::bench::positive_flag("--response-tokens", flags["--response-tokens"]);
  settings.new_tokens = scir::bench::positive_flag("--new-tokens", flags["--new-tokens"]);
  settings.finished_check_every =
      scir::bench::positive_flag("--finished-check-every", flags["--finished-check-every"]);
  // 0: no refill phases; else rounds of --batch requests, a whole number.
  if (flags["--refill-rounds"] != "0")
    settings.refill_rounds =
        scir::bench::positive_flag("--refill-rounds", flags["--refill-rounds"]);
  settings.repeats = static_cast<int>(scir::bench::positive_flag("--repeats", flags["--repeats"]));
  settings.nominal_peak_tflops =
      scir::bench::non_negative_flag("--nominal-tflops", flags["--nominal-tflops"]);
  torch::ScalarType dtype = torch::kFloat;
  bool named = false;
  for (const auto& [name, value] : scir::dtype_names()) {
    if (name == flags["--dtype"]) dtype = value, named = true;
  }
  if (!named) {
    throw scir::InputError("option '--dtype': expected float32, bfloat16 or float16, got '" +
                           flags["--dtype"] + "'");
  }
  const torch::Device device = device_named(flags["--device"]);
  const std::string checkpointing = flags["--activation-checkpointing"];
  if (checkpointing != "on" && checkpointing != "off")
    throw scir::InputError("option '--activation-checkpointing': expected on or off, got '" +
                           checkpointing + "'");
  settings.activation_checkpointing = checkpointing == "on";
  // 0: no LoRA step; else the adapters' rank, a whole number.
  if (flags["--lora-rank"] != "0")
    settings.lora_rank = scir::bench::positive_flag("--lora-rank", flags["--lora-rank"]);
  settings.nominal_bandwidth_gbs =
      scir::bench::non_negative_flag("--nominal-bandwidth-gbs", flags["--nominal-bandwidth-gbs"]);
  std::vector<std::string> known = scir::phase_bench_phases();
  known.push_back("scir_step_lora");
  known.push_back("generation_batched");
  known.push_back("generation_refilled");
  std::stringstream phases(flags["--phases"]);
  for (std::string phase; std::getline(phases, phase, ',');) {
    if (std::find(known.begin(), known.end(), phase) == known.end()) {
      throw scir::InputError(scir::cat("option '--phases': expected names among generation, ",
                                       "scoring, judging, sft_step, scir_step, dpo_step, ",
                                       "scir_step_lora, generation_batched, ",
                                       "generation_refilled, got '", phase, "'"));
    }
    settings.phases.push_back(phase);
  }
  settings.profile_phase = flags["--profile-phase"];
  if (settings.profile_phase.empty() != flags["--trace"].empty())
    throw scir::InputError("options '--profile-phase' and '--trace': expected both or neither");
  if (!settings.profile_phase.empty()) {
    const std::vector<std::string>& phases = scir::phase_bench_phases();
    if (std::find(phases.begin(), phases.end(), settings.profile_phase) == phases.end()) {
      throw scir::InputError(scir::cat("option '--profile-phase': expected generation, scoring, ",
                                       "judging, sft_step, scir_step or dpo_step, got '",
                                       settings.profile_phase, "'"));
    }
    const std::string path = flags["--trace"];
    settings.profiler = [device, path](const std::function<void()>& run) {
      trace_run(run, device, path);
    };
  }

  const scir::ByteTokenizer tokenizer;
  scir::Transformer model(config_of(flags["--shape"]), dtype);
  model.init_weights(1);
  model.to(device);
  scir::SerialComm comm;
  const scir::PhaseBenchResult result = scir::run_phase_bench(comm, model, tokenizer, settings);
  std::cout << scir::phase_bench_table(result) << std::flush;
  if (!flags["--out"].empty()) {
    std::ofstream out(flags["--out"]);
    out << scir::phase_bench_json(result, settings) << "\n";
    if (!out) throw scir::InputError(scir::cat(flags["--out"], ": cannot write"));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return scir::bench::bench_main("scir_gpu_bench", argc, argv, run);
}
