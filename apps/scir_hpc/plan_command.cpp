// scir_hpc plan: the memory a rank needs for a model (a directory's config.json, or the
// --model.* shape) under a layout (ranks, tp, precision, ZeRO-1, activation checkpointing,
// batch), before any work; with --gpu-memory-gb, a layout that does not fit is refused.
#include <iostream>

#include "command.h"
#include "lora_options.h"
#include "model_shape_options.h"
#include "scir/core/option_binding.h"
#include "scir/model/precision.h"
#include "scir/perf/memory_plan.h"
#include "scir/tokenizer/byte_tokenizer.h"

namespace scir::app {
namespace {

// The layout's options, once; the model comes from --model or the shape options.
void bind_layout(OptionBinder& bind, MemoryPlanSettings& s, double& gpu_memory_gb,
                 std::string& lora_targets) {
  const OptionRange positive = OptionRange::at_least(1, "an integer >= 1");
  bind.integer("ranks", s.ranks, "ranks of the job (unset: the ranks plan runs on)", positive)
      .integer("tp", s.tensor_parallel, "ranks a model copy is cut over", positive)
      .choice("dtype", s.dtype, dtype_names(),
              "float32, or bfloat16 / float16 as run --dtype trains them (weights and gradients in "
              "that dtype, float32 master weights and AdamW moments)")
      .flag("zero1", s.zero1, "AdamW moments and master weights sharded over the copies")
      .flag("activation-checkpointing", s.activation_checkpointing,
            "keep each decoder layer's input only and recompute the rest in the backward")
      .integer("batch", s.train_sequences, "sequences a training forward on a rank", positive)
      .integer("tokens", s.train_tokens, "tokens a training sequence", positive)
      .integer("response-tokens", s.response_tokens,
               "tokens of it whose log-probs go through the LM head", positive)
      .integer("generation-batch", s.generation_sequences, "sequences a generation batch", positive)
      .integer("generation-tokens", s.generation_tokens,
               "prompt and new tokens a generated sequence (the KV cache's length)", positive)
      .number("gpu-memory-gb", gpu_memory_gb, "memory of one GPU in GB (10^9 bytes); 0: no check",
              OptionRange::at_least(0, "a number >= 0"))
      .integer("lora-rank", s.lora_rank,
               "LoRA rank (scir.lora_rank): frozen weights, float32 adapters trained; 0: every "
               "weight trained",
               OptionRange::at_least(0, "an integer >= 0 (0: no LoRA)"))
      .text("lora-targets", lora_targets,
            "with --lora-rank: the projections adapted, comma-separated (scir.lora_targets)");
}

void declare(OptionSet& options) {
  options.add_string("model", "",
                     "a Hugging Face model directory (its config.json alone is read); empty: "
                     "the --model.* shape");
  declare_model_shape_options(options);
  MemoryPlanSettings defaults;
  double gpu_memory_gb = 0;
  std::string lora_targets = "q,k,v,o,gate,up,down";
  OptionBinder declaring = OptionBinder::declaring(options);
  bind_layout(declaring, defaults, gpu_memory_gb, lora_targets);
}

std::string dtype_name(torch::ScalarType dtype) {
  for (const auto& [name, value] : dtype_names())
    if (value == dtype) return name;
  return c10::toString(dtype);
}

std::string breakdown(const MemoryPlan& plan) {
  return cat("weights ", gigabytes(plan.weights), ", master weights ",
             gigabytes(plan.master_weights), ", gradients ", gigabytes(plan.gradients),
             " (at the step ", gigabytes(plan.step_gradients), "), AdamW ",
             gigabytes(plan.optimizer_state), ", activations ", gigabytes(plan.activations),
             ", LM head ", gigabytes(plan.lm_head), "; KV cache ", gigabytes(plan.kv_cache));
}

void run(const OptionSet& options, Comm& comm) {
  MemoryPlanSettings settings;
  double gpu_memory_gb = 0;
  std::string lora_targets;
  OptionBinder reading = OptionBinder::reading(options);
  bind_layout(reading, settings, gpu_memory_gb, lora_targets);
  if (settings.lora_rank > 0) {
    settings.lora_targets = parse_lora_targets(options, "lora-targets", lora_targets);
  } else if (options.was_set("lora-targets")) {
    options.reject("lora-targets", "no value unless --lora-rank > 0");
  }
  if (!options.was_set("ranks")) settings.ranks = comm.size();
  const std::string model = options.get_string("model");
  settings.model = model.empty() ? read_model_shape_options(options, ByteTokenizer())
                                 : ModelConfig::from_file(model + "/config.json");
  check_lora_fits(options, "lora-rank", settings.lora_rank, settings.lora_targets, settings.model);
  if (settings.lora_rank > 0) {
    if (settings.tensor_parallel > 1)
      options.reject("lora-rank",
                     "0 with --tp > 1 (LoRA under tensor parallelism is not "
                     "implemented yet)");
  }
  const MemoryPlan plan = plan_memory(settings);
  if (gpu_memory_gb > 0 && plan.peak() > gpu_memory_gb * 1e9) {
    throw InputError(cat("plan: a rank needs ", gigabytes(plan.peak()), " (", breakdown(plan),
                         "), more than --gpu-memory-gb ", gpu_memory_gb,
                         " (expected a layout that fits: --tp, --zero1, "
                         "--activation-checkpointing, a smaller --batch)"));
  }
  if (comm.rank() != 0) return;
  std::cout << settings.model.architecture << ", " << settings.model.parameter_count()
            << " parameters, " << plan.parameters << " a rank; " << settings.ranks
            << " ranks: " << settings.ranks / settings.tensor_parallel << " copies x tp "
            << settings.tensor_parallel << "; " << dtype_name(settings.dtype)
            << (settings.zero1 ? ", ZeRO-1" : "")
            << (settings.activation_checkpointing ? ", activation checkpointing" : "")
            << (settings.lora_rank > 0 ? cat(", LoRA rank ", settings.lora_rank, ": ",
                                             plan.trained_parameters, " parameters trained")
                                       : std::string())
            << "\n"
            << "a rank holds (GB = 10^9 bytes):\n"
            << "  weights            " << gigabytes(plan.weights) << "\n"
            << "  master weights     " << gigabytes(plan.master_weights) << "\n"
            << "  gradients          " << gigabytes(plan.gradients)
            << " (float32 at the step: " << gigabytes(plan.step_gradients) << ")\n"
            << "  AdamW moments      " << gigabytes(plan.optimizer_state) << "\n"
            << "  activations        " << gigabytes(plan.activations) << " ("
            << settings.train_sequences << " x " << settings.train_tokens << " tokens)\n"
            << "  LM head            " << gigabytes(plan.lm_head) << " ("
            << settings.train_sequences << " x " << settings.response_tokens
            << " response tokens)\n"
            << "  training step      " << gigabytes(plan.training()) << "\n"
            << "  KV cache           " << gigabytes(plan.kv_cache) << " ("
            << settings.generation_sequences << " x " << settings.generation_tokens << " tokens)\n"
            << "  generation         " << gigabytes(plan.generation()) << "\n"
            << "peak " << gigabytes(plan.peak());
  if (gpu_memory_gb > 0) std::cout << ", fits " << gpu_memory_gb << " GB";
  std::cout << "\n";
}

}  // namespace

Command plan_command() {
  return {"plan", "the memory a rank needs for a model and a layout, before any work", declare,
          run};
}

}  // namespace scir::app
