// scir_hpc bench: tokens/s and MFU of each phase (generation, scoring, judging, SFT step, SCIR
// step) for a model directory or a model shape (byte vocabulary), on the CPU or a GPU, against
// the matrix-product peak measured in the same run; a table, and JSON with --out.
#include <fstream>
#include <iostream>

#include "command.h"
#include "lora_options.h"
#include "model_shape_options.h"
#include "process_grid_options.h"
#include "scir/core/option_binding.h"
#include "scir/dist/agreement.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/io/output_paths.h"
#include "scir/model/precision.h"
#include "scir/perf/phase_throughput.h"
#include "scir/tokenizer/byte_tokenizer.h"

namespace scir::app {
namespace {

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
              OptionRange::at_least(0, "a number >= 0"))
      .integer("bench.lora_rank", settings.lora_rank,
               "> 0: a LoRA SCIR step too (adapters of this rank on every projection)",
               OptionRange::at_least(0, "an integer >= 0 (0: no LoRA step)"));
}

void declare(OptionSet& options) {
  options.add_string("model", "", "model directory (default: a random model of --model.* shape)")
      .add_string("out", "", "JSON file of the results (default: the table only)");
  PhaseBenchSettings defaults;
  OptionBinder declaring = OptionBinder::declaring(options);
  bind_bench_options(declaring, defaults);
  options.add_string("bench.dtype", "float32", "the model's dtype: float32, bfloat16 or float16");
  declare_model_shape_options(options);
  declare_device_option(options);
}

void run(const OptionSet& options, Comm& comm) {
  PhaseBenchSettings settings;
  LoadedModel loaded;
  const std::unique_ptr<ProcessGrid> grid = make_device_grid(options, comm);
  agree_or_throw(comm, [&] {
    OptionBinder reading = OptionBinder::reading(options);
    bind_bench_options(reading, settings);
    const torch::ScalarType dtype = read_choice(options, "bench.dtype", dtype_names());
    // The results' file is checked before the minutes of measurement.
    if (!options.get_string("out").empty()) check_output_file(options.get_string("out"));
    if (!options.get_string("model").empty()) {
      loaded = load_hf_model(options.get_string("model"), dtype);
    } else {
      loaded.tokenizer = std::make_unique<ByteTokenizer>();
      loaded.model = std::make_shared<Transformer>(
          read_model_shape_options(options, *loaded.tokenizer), dtype);
      loaded.model->init_weights(1);
    }
    check_lora_fits(options, "bench.lora_rank", settings.lora_rank, lora_target_names(),
                    loaded.model->config());
    place_on_grid(*grid, *loaded.model);
  });
  const PhaseBenchResult result =
      run_phase_bench(grid->job(), *loaded.model, *loaded.tokenizer, settings);
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
