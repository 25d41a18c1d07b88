// scir_hpc bench: tokens/s and MFU of each phase (generation, scoring, judging, SFT step, SCIR
// step) for a model directory or a model shape (byte vocabulary), on the CPU or a GPU, against
// the matrix-product peak measured in the same run; a table, and JSON with --out.
#include <fstream>
#include <iostream>

#include "command.h"
#include "model_shape_options.h"
#include "scir/core/option_binding.h"
#include "scir/dist/agreement.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/model/precision.h"
#include "scir/perf/phase_throughput.h"
#include "scir/tokenizer/byte_tokenizer.h"

namespace scir::app {
namespace {

torch::Device bench_device(const OptionSet& options) {
  const std::string name = options.get_string("bench.device");
  if (name != "cpu" && name.rfind("cuda", 0) != 0)
    options.reject("bench.device", "cpu or cuda[:index]");
  try {
    const torch::Device device(name);
    if (device.is_cuda() && (!torch::cuda::is_available() ||
                             device.index() >= static_cast<int>(torch::cuda::device_count()))) {
      options.reject("bench.device", cat("a CUDA device this process can see (",
                                         torch::cuda::device_count(), " visible)"));
    }
    return device;
  } catch (const c10::Error&) {
    options.reject("bench.device", "cpu or cuda[:index]");
  }
  return torch::kCPU;
}

void declare(OptionSet& options) {
  const PhaseBenchSettings defaults;
  options.add_string("model", "", "model directory (default: a random model of --model.* shape)")
      .add_string("out", "", "JSON file of the results (default: the table only)")
      .add_int("bench.batch", defaults.batch, "sequences (pairs) a call")
      .add_int("bench.prompt_tokens", defaults.prompt_tokens, "prompt length")
      .add_int("bench.response_tokens", defaults.response_tokens, "response length")
      .add_int("bench.new_tokens", defaults.new_tokens, "generated tokens a sequence")
      .add_int("bench.repeats", defaults.repeats, "timed calls a phase")
      .add_double("bench.sgemm_seconds", defaults.sgemm_seconds, "length of the peak measurement")
      .add_string("bench.device", "cpu", "cpu, or cuda[:index]")
      .add_string("bench.dtype", "float32", "the model's dtype: float32, bfloat16 or float16")
      .add_double("bench.nominal_tflops", 0,
                  "a nominal peak for a second MFU, e.g. 989 (H100 dense bfloat16); 0: none");
  declare_model_shape_options(options);
}

void run(const OptionSet& options, Comm& comm) {
  PhaseBenchSettings settings;
  LoadedModel loaded;
  agree_or_throw(comm, [&] {
    settings.batch = options.get_int("bench.batch");
    settings.prompt_tokens = options.get_int("bench.prompt_tokens");
    settings.response_tokens = options.get_int("bench.response_tokens");
    settings.new_tokens = options.get_int("bench.new_tokens");
    settings.repeats = static_cast<int>(options.get_int("bench.repeats"));
    settings.sgemm_seconds = options.get_double("bench.sgemm_seconds");
    for (const char* key : {"bench.batch", "bench.new_tokens", "bench.repeats"}) {
      if (options.get_int(key) < 1) options.reject(key, "an integer >= 1");
    }
    for (const char* key : {"bench.prompt_tokens", "bench.response_tokens"}) {
      if (options.get_int(key) < 2) options.reject(key, "an integer >= 2");
    }
    if (settings.sgemm_seconds <= 0) options.reject("bench.sgemm_seconds", "a number > 0");
    settings.nominal_peak_tflops = options.get_double("bench.nominal_tflops");
    if (settings.nominal_peak_tflops < 0) options.reject("bench.nominal_tflops", "a number >= 0");
    const torch::Device device = bench_device(options);
    const torch::ScalarType dtype = read_choice(options, "bench.dtype", dtype_names());
    if (!options.get_string("model").empty()) {
      loaded = load_hf_model(options.get_string("model"), dtype);
    } else {
      loaded.tokenizer = std::make_unique<ByteTokenizer>();
      loaded.model = std::make_shared<Transformer>(
          read_model_shape_options(options, *loaded.tokenizer), dtype);
      loaded.model->init_weights(1);
    }
    loaded.model->to(device);
  });
  const PhaseBenchResult result = run_phase_bench(comm, *loaded.model, *loaded.tokenizer, settings);
  if (comm.rank() != 0) return;
  std::cout << phase_bench_table(result) << std::flush;
  const std::string out = options.get_string("out");
  if (!out.empty()) {
    std::ofstream file(out);
    file << phase_bench_json(result, settings) << "\n";
    if (!file) throw InputError(cat(out, ": cannot write"));
    std::cout << "wrote " << out << "\n";
  }
}

}  // namespace

Command bench_command() {
  return {"bench", "tokens/s and MFU of each phase against the measured sgemm peak", declare, run};
}

}  // namespace scir::app
