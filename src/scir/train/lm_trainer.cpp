#include "scir/train/lm_trainer.h"

#include <algorithm>
#include <chrono>
#include <numeric>

#include "scir/core/errors.h"
#include "scir/core/logging.h"
#include "scir/core/rng.h"
#include "scir/dist/collective_watchdog.h"
#include "scir/dist/gradient_sync.h"
#include "scir/dist/sharding.h"
#include "scir/train/data_parallel_optimizer.h"
#include "scir/train/training_state.h"

namespace scir {

std::map<std::string, std::vector<double>> LmStepMetrics::columns() const {
  return {{"step", step},           {"loss", loss},     {"lr", lr},
          {"grad_norm", grad_norm}, {"tokens", tokens}, {"tokens_per_s", tokens_per_s}};
}

LmStepMetrics LmStepMetrics::from_columns(
    const std::map<std::string, std::vector<double>>& columns) {
  LmStepMetrics metrics;
  metrics.step = columns.at("step");
  metrics.loss = columns.at("loss");
  metrics.lr = columns.at("lr");
  metrics.grad_norm = columns.at("grad_norm");
  metrics.tokens = columns.at("tokens");
  metrics.tokens_per_s = columns.at("tokens_per_s");
  return metrics;
}

H5Group LmStepMetrics::as_h5_group() const {
  H5Group group;
  group.columns = columns();
  return group;
}

const std::vector<size_t>& BatchSampler::permutation(uint64_t epoch) {
  if (epoch != cached_epoch_) {
    cached_.resize(count_);
    std::iota(cached_.begin(), cached_.end(), 0);
    RngStream rng = RngStream::derive(seed_, {0x5e9u, epoch});
    for (size_t i = count_; i > 1; --i) std::swap(cached_[i - 1], cached_[rng.next_u64() % i]);
    cached_epoch_ = epoch;
  }
  return cached_;
}

std::vector<size_t> BatchSampler::batch(int64_t step, int64_t batch_size) {
  std::vector<size_t> indices;
  for (int64_t k = 0; k < batch_size; ++k) {
    const uint64_t position = static_cast<uint64_t>(step * batch_size + k);
    indices.push_back(permutation(position / count_)[position % count_]);
  }
  return indices;
}

LmStepMetrics train_language_model(Transformer& model, Comm& comm,
                                   const std::vector<PromptResponse>& examples,
                                   const LmTrainOptions& options, int64_t pad_id,
                                   const std::function<void(int64_t)>& on_step,
                                   LoraAdapter* adapter) {
  if (examples.empty()) throw InputError(cat(options.label, ": no training examples"));
  if (options.lora.on() != (adapter != nullptr))
    throw InternalError(
        cat(options.label, ": LoRA settings without their adapter, or the reverse"));
  if (options.batch_size % comm.size() != 0) {
    throw InputError(cat(options.label, ": a batch of ", options.batch_size,
                         " sequences is not a multiple of the ", comm.size(), " ranks"));
  }
  std::vector<torch::Tensor> parameters = adapter ? adapter->parameters() : model.parameters();
  broadcast_parameters(comm, parameters);
  model.set_activation_checkpointing(options.activation_checkpointing);
  if (options.activation_checkpointing)
    log_info(
        cat("[", options.label, "] activation checkpointing: layers recomputed in the backward"));
  AdamWSettings adamw;
  adamw.lr = options.lr;
  adamw.beta1 = options.adam_beta1;
  adamw.beta2 = options.adam_beta2;
  adamw.weight_decay = options.weight_decay;
  DataParallelOptimizer optimizer(
      comm, parameters, adamw, options.parallel,
      adapter ? adapter->tensor_parallel_norm() : model.tensor_parallel_norm());
  log_info(cat("[", options.label, "] ", optimizer.describe_memory()));
  const LrSchedule schedule{options.lr, options.min_lr_ratio, options.warmup_steps, options.steps};
  BatchSampler sampler(examples.size(), options.seed);
  LmStepMetrics metrics;
  const TrainingState state(options.state_dir, options.state_every);
  const int64_t first_step = std::min(state.latest(comm), options.steps);
  if (first_step > 0) {
    auto columns = metrics.columns();
    state.load(comm, first_step, model, optimizer, columns, adapter);
    metrics = LmStepMetrics::from_columns(columns);
  }
  model.train();
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  for (int64_t step = first_step; step < options.steps; ++step) {
    const auto step_start = Clock::now();
    CollectiveWatchdog::instance().set_progress(cat("[", options.label, "] step ", step + 1));
    const double lr = schedule.at(step);
    optimizer.set_lr(lr);
    const std::vector<size_t> batch = sampler.batch(step, options.batch_size);
    std::vector<PromptResponse> mine;
    for (size_t i : shard_indices(batch.size(), comm.rank(), comm.size()))
      mine.push_back(examples[batch[i]]);

    // Shortest first, so each micro-batch pads to little.
    std::stable_sort(mine.begin(), mine.end(), [](const auto& a, const auto& b) {
      return a.prompt.size() + a.response.size() < b.prompt.size() + b.response.size();
    });
    double local_tokens = 0;
    for (const PromptResponse& example : mine)
      local_tokens += static_cast<double>(example.response.size());
    const double global_tokens = all_reduce_scalar(comm, local_tokens, ReduceOp::kSum);
    const size_t micro = options.micro_batch_size > 0
                             ? static_cast<size_t>(options.micro_batch_size)
                             : std::max<size_t>(1, mine.size());
    optimizer.zero_grad();
    double local_loss = 0;
    for (size_t begin = 0; begin < mine.size(); begin += micro) {
      const std::vector<PromptResponse> chunk(mine.begin() + begin,
                                              mine.begin() + std::min(mine.size(), begin + micro));
      const ResponseLogProbs scored = response_logprobs(model, chunk, pad_id);
      // Each rank divides its part by the global count (tokens or sequences); the gradient
      // average over ranks then multiplies by 1/ranks, undone here by the factor comm.size().
      torch::Tensor loss;
      if (options.per_sequence_loss) {
        const torch::Tensor lengths =
            torch::tensor(scored.lengths, torch::kLong).clamp_min(1).to(scored.sum.options());
        loss =
            -(scored.sum / lengths).sum() / static_cast<double>(options.batch_size) * comm.size();
      } else {
        loss = -scored.sum.sum() / global_tokens * comm.size();
      }
      const double scale = optimizer.loss_scale();  // float16's loss scale, else 1
      (scale == 1.0 ? loss : loss * scale).backward();
      local_loss += loss.item<double>();
    }
    const double grad_norm =
        optimizer.step(options.grad_clip, cat("[", options.label, "] step ", step + 1));

    const double mean_loss = all_reduce_scalar(comm, local_loss, ReduceOp::kAverage);
    const double seconds = std::chrono::duration<double>(Clock::now() - step_start).count();
    metrics.step.push_back(static_cast<double>(step));
    metrics.loss.push_back(mean_loss);
    metrics.lr.push_back(lr);
    metrics.grad_norm.push_back(grad_norm);
    metrics.tokens.push_back(global_tokens);
    metrics.tokens_per_s.push_back(global_tokens / seconds);
    if ((step + 1) % options.log_every == 0 || step + 1 == options.steps) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      const double eta = elapsed / (step + 1 - first_step) * (options.steps - step - 1);
      log_info(cat("[", options.label, "] step ", step + 1, "/", options.steps, " loss ", mean_loss,
                   " lr ", lr, " |g| ", grad_norm, " ",
                   static_cast<int64_t>(global_tokens / seconds), " tok/s ETA ",
                   format_duration(eta)));
    }
    if (on_step) on_step(step + 1);
    if (state.due(step + 1) && step + 1 < options.steps)
      state.save(comm, step + 1, model, optimizer, metrics.columns(), adapter);
  }
  model.eval();
  return metrics;
}

}  // namespace scir
