// scir_hpc pretrain and scir_hpc sft: next-token training of a model directory on JSONL
// {"prompt", "response"} files. pretrain puts the loss on every token (M0 from the base
// corpus); sft on the responses only (M1 = M0 + IFT + EFT).
#include <filesystem>

#include "command.h"
#include "scir/core/logging.h"
#include "scir/data/lm_examples.h"
#include "scir/dist/agreement.h"
#include "scir/io/h5_group.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/model/precision.h"
#include "scir/train/lm_trainer.h"

namespace scir::app {
namespace {

void declare(OptionSet& options, const LmTrainOptions& defaults) {
  options.add_required_string("model", "model directory to start from (e.g. from 'scir_hpc init')")
      .add_required_string("data", "training JSONL files, comma-separated")
      .add_required_string("out", "model directory to write")
      .add_string("chat-template", "plain", "how prompts are wrapped: none, plain or mistral")
      .add_int("train.steps", defaults.steps, "optimiser steps")
      .add_int("train.batch_size", defaults.batch_size, "sequences a step over all ranks")
      .add_double("train.lr", defaults.lr, "peak learning rate")
      .add_double("train.min_lr_ratio", defaults.min_lr_ratio, "final rate / peak (cosine decay)")
      .add_int("train.warmup_steps", defaults.warmup_steps, "linear warm-up steps")
      .add_double("train.weight_decay", defaults.weight_decay, "AdamW weight decay")
      .add_double("train.grad_clip", defaults.grad_clip, "clip the global gradient norm to this")
      .add_string("train.loss_norm", "token",
                  "token: mean over loss tokens; sequence: mean of each sequence's mean")
      .add_int("train.seed", 0, "seed of the data order")
      .add_int("train.log_every", defaults.log_every, "steps between progress lines")
      .add_int("train.checkpoint_every", 0, "steps between checkpoints in OUT/step_<s> (0: none)");
}

LmTrainOptions train_options(const OptionSet& options, const std::string& label) {
  LmTrainOptions train;
  train.label = label;
  train.steps = options.get_int("train.steps");
  train.batch_size = options.get_int("train.batch_size");
  train.lr = options.get_double("train.lr");
  train.min_lr_ratio = options.get_double("train.min_lr_ratio");
  train.warmup_steps = options.get_int("train.warmup_steps");
  train.weight_decay = options.get_double("train.weight_decay");
  train.grad_clip = options.get_double("train.grad_clip");
  train.seed = static_cast<uint64_t>(options.get_int("train.seed"));
  train.log_every = options.get_int("train.log_every");
  const std::string norm = options.get_string("train.loss_norm");
  if (norm != "token" && norm != "sequence") options.reject("train.loss_norm", "token or sequence");
  train.per_sequence_loss = norm == "sequence";
  if (train.steps < 1) options.reject("train.steps", "an integer >= 1");
  if (train.batch_size < 1) options.reject("train.batch_size", "an integer >= 1");
  if (train.lr <= 0) options.reject("train.lr", "a number > 0");
  if (train.min_lr_ratio < 0 || train.min_lr_ratio > 1)
    options.reject("train.min_lr_ratio", "a number in [0, 1]");
  if (train.warmup_steps < 0) options.reject("train.warmup_steps", "an integer >= 0");
  if (train.weight_decay < 0) options.reject("train.weight_decay", "a number >= 0");
  if (train.grad_clip <= 0) options.reject("train.grad_clip", "a number > 0");
  if (train.log_every < 1) options.reject("train.log_every", "an integer >= 1");
  if (options.get_int("train.checkpoint_every") < 0)
    options.reject("train.checkpoint_every", "an integer >= 0");
  return train;
}

std::vector<std::string> split_paths(const std::string& list) {
  std::vector<std::string> paths;
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    if (comma > start) paths.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return paths;
}

void run(const OptionSet& options, Comm& comm, LossTokens loss_tokens, const std::string& label) {
  LmTrainOptions train;
  LoadedModel loaded;
  std::vector<PromptResponse> examples;
  agree_or_throw(comm, [&] {
    train = train_options(options, label);
    const ChatTemplate chat =
        parse_chat_template(options.get_string("chat-template"), "chat-template");
    loaded = load_hf_model(options.get_string("model"));
    examples = read_lm_examples(split_paths(options.get_string("data")), *loaded.tokenizer, chat,
                                loss_tokens);
    if (train.batch_size % comm.size() != 0) {
      options.reject("train.batch_size", cat("a multiple of the ", comm.size(), " ranks"));
    }
  });
  const std::string out = options.get_string("out");
  log_info(cat("[", label, "] ", examples.size(), " examples, ",
               loaded.model->config().parameter_count(), " parameters, ", comm.size(), " ranks x ",
               torch::get_num_threads(), " threads"));
  const int64_t checkpoint_every = options.get_int("train.checkpoint_every");
  const auto checkpoint = [&](int64_t step) {
    if (comm.rank() == 0 && checkpoint_every > 0 && step % checkpoint_every == 0 &&
        step < train.steps) {
      save_hf_model(cat(out, "/step_", step), *loaded.model, *loaded.tokenizer);
    }
  };
  const LmStepMetrics metrics = train_language_model(*loaded.model, comm, examples, train,
                                                     loaded.tokenizer->pad_id(), checkpoint);
  if (comm.rank() != 0) return;
  // Step checkpoints live inside OUT: keep them across the final save.
  const std::string staged_steps = out + ".steps";
  std::filesystem::remove_all(staged_steps);
  if (std::filesystem::exists(out)) {
    std::filesystem::create_directories(staged_steps);
    for (const auto& entry : std::filesystem::directory_iterator(out)) {
      if (entry.path().filename().string().rfind("step_", 0) == 0) {
        std::filesystem::rename(entry.path(),
                                std::filesystem::path(staged_steps) / entry.path().filename());
      }
    }
  }
  save_hf_model(out, *loaded.model, *loaded.tokenizer);
  if (std::filesystem::exists(staged_steps)) {
    for (const auto& entry : std::filesystem::directory_iterator(staged_steps)) {
      std::filesystem::rename(entry.path(), std::filesystem::path(out) / entry.path().filename());
    }
    std::filesystem::remove_all(staged_steps);
  }
  H5Group steps;
  steps.columns = {{"step", metrics.step},     {"loss", metrics.loss},
                   {"lr", metrics.lr},         {"grad_norm", metrics.grad_norm},
                   {"tokens", metrics.tokens}, {"tokens_per_s", metrics.tokens_per_s}};
  write_h5_group(out + "/metrics.h5", "/" + label + "/steps", steps);
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
