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

// The phase benchmark's settings, once.
void bind_bench_options(OptionBinder& bind, PhaseBenchSettings& settings) {
  const OptionRange at_least_one = OptionRange::at_least(1, "an integer >= 1");
  const OptionRange at_least_two = OptionRange::at_least(2, "an integer >= 2");
  bind.integer("bench.batch", settings.batch, "sequences (pairs) a call", at_least_one)
      .integer("bench.prompt_tokens", settings.prompt_tokens, "prompt length", at_least_two)
      .integer("bench.response_tokens", settings.response_tokens, "response length", at_least_two)
      .integer("bench.new_tokens", settings.new_tokens, "generated tokens a sequence", at_least_one)
      .integer("bench.repeats", settings.repeats, "timed calls a phase", at_least_one)
      .number("bench.sgemm_seconds", settings.sgemm_seconds, "length of the peak measurement",
              OptionRange::above(0, "a number > 0"))
      .number("bench.nominal_tflops", settings.nominal_peak_tflops,
              "a nominal peak for a second MFU, e.g. 989 (H100 dense bfloat16); 0: none",
              OptionRange::at_least(0, "a number >= 0"));
}

void declare(OptionSet& options) {
  options.add_string("model", "", "model directory (default: a random model of --model.* shape)")
      .add_string("out", "", "JSON file of the results (default: the table only)");
  PhaseBenchSettings defaults;
  OptionBinder declaring = OptionBinder::declaring(options);
  bind_bench_options(declaring, defaults);
  options.add_string("bench.device", "cpu", "cpu, or cuda[:index]")
      .add_string("bench.dtype", "float32", "the model's dtype: float32, bfloat16 or float16");
  declare_model_shape_options(options);
}

void run(const OptionSet& options, Comm& comm) {
  PhaseBenchSettings settings;
  LoadedModel loaded;
  agree_or_throw(comm, [&] {
    OptionBinder reading = OptionBinder::reading(options);
    bind_bench_options(reading, settings);
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
