#include "scir/train/data_parallel_optimizer.h"

#include <cmath>
#include <sstream>

#include "scir/core/errors.h"
#include "scir/core/logging.h"

namespace scir {

DataParallelOptimizer::DataParallelOptimizer(Comm& comm, std::vector<torch::Tensor> parameters,
                                             const AdamWSettings& settings,
                                             const DataParallelSettings& parallel,
                                             TensorParallelNorm tp)
    : comm_(comm),
      parameters_(std::move(parameters)),
      sync_(parallel.sync),
      tp_(std::move(tp)),
      max_nonfinite_(parallel.max_nonfinite_steps) {
  if (parallel.zero1) {
    sharded_ = std::make_unique<ShardedAdamW>(comm, parameters_, settings, tp_);
  } else {
    adamw_ = std::make_unique<torch::optim::AdamW>(parameters_,
                                                   torch::optim::AdamWOptions(settings.lr)
                                                       .betas({settings.beta1, settings.beta2})
                                                       .eps(settings.eps)
                                                       .weight_decay(settings.weight_decay));
  }
}

void DataParallelOptimizer::set_lr(double lr) {
  if (sharded_) {
    sharded_->set_lr(lr);
    return;
  }
  for (auto& group : adamw_->param_groups())
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
}

void DataParallelOptimizer::zero_grad() {
  for (torch::Tensor& p : parameters_) {
    if (p.grad().defined()) p.mutable_grad().zero_();
  }
}

double DataParallelOptimizer::step(double max_norm, const std::string& where) {
  double norm = 0;
  if (sharded_) {
    norm = sharded_->step(max_norm);  // itself leaves the weights alone on a non-finite norm
  } else {
    average_gradients(comm_, parameters_, sync_);
    norm = clip_global_grad_norm(parameters_, max_norm, tp_);
    if (std::isfinite(norm)) adamw_->step();
  }
  if (!std::isfinite(norm)) {
    ++skipped_;
    ++consecutive_;
    log_warn(cat(where, ": gradient norm ", norm, ", step skipped (", skipped_, " so far)"));
    if (consecutive_ >= max_nonfinite_) {
      throw InternalError(cat(where, ": ", consecutive_,
                              " steps in a row with a non-finite gradient norm; stopping (a "
                              "lower learning rate or a tighter grad_clip may help)"));
    }
    return norm;
  }
  consecutive_ = 0;
  if (sync_.check_replicas) check_replicas(comm_, parameters_, where);
  return norm;
}

void DataParallelOptimizer::save(torch::serialize::OutputArchive& archive) const {
  if (sharded_) {
    sharded_->save(archive);
    return;
  }
  torch::serialize::OutputArchive adamw;
  adamw_->save(adamw);
  archive.write("adamw", adamw);
}

void DataParallelOptimizer::load(torch::serialize::InputArchive& archive) {
  if (sharded_) {
    sharded_->load(archive);
    return;
  }
  torch::serialize::InputArchive adamw;
  archive.read("adamw", adamw);
  adamw_->load(adamw);
}

int64_t DataParallelOptimizer::state_bytes() const {
  if (sharded_) return sharded_->state_bytes();
  int64_t values = 0;
  for (const torch::Tensor& p : parameters_) values += p.numel();
  return 2 * values * static_cast<int64_t>(sizeof(float));
}

std::string DataParallelOptimizer::describe_state() const {
  std::ostringstream text;
  text.precision(3);
  text << static_cast<double>(state_bytes()) / (1 << 20) << " MB of optimiser state a rank ("
       << (sharded_ ? cat("ZeRO-1 over ", comm_.size(), " ranks") : std::string("not sharded"))
       << ")";
  return text.str();
}

}  // namespace scir
