// scir_hpc pretrain and scir_hpc sft: next-token training of a model directory on JSONL
// {"prompt", "response"} files. pretrain puts the loss on every token (M0 from the base
// corpus); sft on the responses only (M1 = M0 + IFT + EFT).
#include <filesystem>

#include "command.h"
#include "process_grid_options.h"
#include "scir/core/logging.h"
#include "scir/core/option_binding.h"
#include "scir/data/lm_examples.h"
#include "scir/dist/agreement.h"
#include "scir/io/h5_group.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/io/output_paths.h"
#include "scir/model/precision.h"
#include "scir/train/lm_trainer.h"
#include "scir/train/training_state.h"
#include "train_options.h"

namespace scir::app {
namespace {

void declare(OptionSet& options, const LmTrainOptions& defaults) {
  options.add_required_string("model", "model directory to start from (e.g. from 'scir_hpc init')")
      .add_required_string("data", "training JSONL files, comma-separated")
      .add_required_string("out", "model directory to write")
      .add_string("chat-template", "plain",
                  "how prompts are wrapped: none, plain, mistral, chatml, llama3 or model")
      .add_int("train.checkpoint_every", 0, "steps between checkpoints in OUT/step_<s> (0: none)")
      .add_string("dtype", "float32",
                  "training precision: float32, bfloat16 or float16 (float32 master weights and "
                  "gradient reduction, float16 with loss scaling; checkpoints in that dtype)");
  declare_train_options(options, "train.", defaults);
  declare_tensor_parallel_option(options);
}

// Moves the step_<s> directories of `from` (if it exists) into `to`.
void move_step_checkpoints(const std::string& from, const std::string& to) {
  if (!std::filesystem::exists(from)) return;
  std::filesystem::create_directories(to);
  for (const auto& entry : std::filesystem::directory_iterator(from)) {
    if (entry.path().filename().string().rfind("step_", 0) == 0) {
      std::filesystem::rename(entry.path(), std::filesystem::path(to) / entry.path().filename());
    }
  }
}

void run(const OptionSet& options, Comm& comm, LossTokens loss_tokens, const std::string& label) {
  LmTrainOptions train;
  LoadedModel loaded;
  std::vector<PromptResponse> examples;
  const std::unique_ptr<ProcessGrid> grid = make_tensor_parallel_grid(options, comm);
  Comm& data = grid->data();  // data parallel across the model copies
  agree_or_throw(comm, [&] {
    train = read_train_options(options, "train.", label);
    if (options.get_int("train.checkpoint_every") < 0) {
      options.reject("train.checkpoint_every", "an integer >= 0");
    }
    check_output_directory(options.get_string("out"));  // not only after the training
    const ChatTemplate chat = read_choice(options, "chat-template", chat_template_names());
    const torch::ScalarType dtype = read_choice(options, "dtype", dtype_names());
    loaded = load_hf_model(options.get_string("model"), dtype);
    examples = read_lm_examples(options.get_list("data"), *loaded.tokenizer, chat, loss_tokens);
    if (train.batch_size % data.size() != 0) {
      options.reject("train.batch_size", cat("a multiple of the ", data.size(),
                                             grid->tensor() ? " model copies" : " ranks"));
    }
    place_on_grid(*grid, *loaded.model);
  });
  const std::string out = options.get_string("out");
  log_info(cat("[", label, "] ", examples.size(), " examples, ",
               loaded.model->config().parameter_count(), " parameters, ", comm.size(), " ranks x ",
               torch::get_num_threads(), " threads"));
  const int64_t checkpoint_every = options.get_int("train.checkpoint_every");
  const auto checkpoint = [&](int64_t step) {
    if (checkpoint_every > 0 && step % checkpoint_every == 0 && step < train.steps)
      save_whole_hf_model(comm, cat(out, "/step_", step), *loaded.model, *loaded.tokenizer);
  };
  train.state_dir = out + ".state";  // restart states beside OUT (train.state_every)
  const LmStepMetrics metrics = train_language_model(*loaded.model, data, examples, train,
                                                     loaded.tokenizer->pad_id(), checkpoint);
  // Step checkpoints live inside OUT: keep them across the final save.
  const std::string staged_steps = out + ".steps";
  if (comm.rank() == 0) {
    TrainingState(train.state_dir, train.state_every).clear(comm);
    std::filesystem::remove_all(staged_steps);
    move_step_checkpoints(out, staged_steps);
  }
  save_whole_hf_model(comm, out, *loaded.model, *loaded.tokenizer);
  if (comm.rank() != 0) return;
  move_step_checkpoints(staged_steps, out);
  std::filesystem::remove_all(staged_steps);
  write_h5_group(out + "/metrics.h5", "/" + label + "/steps", metrics.as_h5_group());
  log_info(cat("[", label, "] wrote ", out, " (final loss ", metrics.loss.back(), ")"));
}

}  // namespace

Command pretrain_command() {
  LmTrainOptions defaults;
  defaults.steps = 300;
  defaults.lr = 3e-3;
  return {"pretrain", "next-token training on every token (M0 from a base corpus)",
          [defaults](OptionSet& options) { declare(options, defaults); },
          [](const OptionSet& options, Comm& comm) {
            run(options, comm, LossTokens::kAllTokens, "pretrain");
          }};
}

Command sft_command() {
  LmTrainOptions defaults;
  defaults.steps = 300;
  defaults.lr = 1e-3;
  return {"sft", "supervised fine-tuning on responses only (M1 from M0 + IFT + EFT)",
          [defaults](OptionSet& options) { declare(options, defaults); },
          [](const OptionSet& options, Comm& comm) {
            run(options, comm, LossTokens::kResponseOnly, "sft");
          }};
}

}  // namespace scir::app
