#include "scir/train/data_parallel_optimizer.h"

#include <cmath>
#include <sstream>

#include "scir/core/errors.h"
#include "scir/core/logging.h"
#include "scir/core/memory_use.h"

namespace scir {

DataParallelOptimizer::DataParallelOptimizer(Comm& comm, std::vector<torch::Tensor> parameters,
                                             const AdamWSettings& settings,
                                             const DataParallelSettings& parallel,
                                             TensorParallelNorm tp)
    : comm_(comm),
      parameters_(std::move(parameters)),
      sync_(parallel.sync),
      tp_(std::move(tp)),
      settings_(settings),
      scaler_(parameters_.empty() ? torch::kFloat : parameters_.front().scalar_type()),
      max_nonfinite_(parallel.max_nonfinite_steps) {
  if (parallel.zero1) {
    sharded_ = std::make_unique<ShardedAdamW>(comm, parameters_, settings, tp_);
    return;
  }
  torch::NoGradGuard no_grad;
  const bool mixed = !parameters_.empty() && parameters_.front().scalar_type() != torch::kFloat;
  for (const torch::Tensor& p : parameters_) {
    if (p.scalar_type() != parameters_.front().scalar_type())
      throw InternalError("DataParallelOptimizer: parameters of one dtype expected");
    if (mixed) {
      master_.push_back(p.detach().to(torch::kFloat, /*non_blocking=*/false, /*copy=*/true));
      master_.back().set_requires_grad(true);  // holds the float32 gradient between steps
    }
    const torch::TensorOptions options = p.options().dtype(torch::kFloat);
    m_.push_back(torch::zeros(p.sizes(), options));
    v_.push_back(torch::zeros(p.sizes(), options));
  }
}

void DataParallelOptimizer::set_lr(double lr) {
  settings_.lr = lr;
  if (sharded_) sharded_->set_lr(lr);
}

void DataParallelOptimizer::zero_grad() {
  // Undefined rather than zeroed: the backward then hands its gradient over without a pass that
  // zeroes the old one and another that adds the new one to it.
  for (torch::Tensor& p : parameters_) p.mutable_grad() = torch::Tensor();
}

double DataParallelOptimizer::step(double max_norm, const std::string& where) {
  const double scale = scaler_.scale();
  double norm = 0;
  if (sharded_) {
    // Itself leaves the weights alone on a non-finite norm.
    norm = sharded_->step(max_norm, 1.0 / scale);
  } else {
    // The float32 weights the update works on: the parameters, or their master copies.
    std::vector<torch::Tensor>& weights = master_.empty() ? parameters_ : master_;
    for (size_t i = 0; i < master_.size(); ++i) {
      const torch::Tensor& grad = parameters_[i].grad();
      master_[i].mutable_grad() = grad.defined() ? grad.to(torch::kFloat) : torch::Tensor();
      parameters_[i].mutable_grad() = torch::Tensor();  // its float32 copy replaces it
    }
    average_gradients(comm_, weights, sync_);
    norm = global_grad_norm(weights, tp_) / scale;
    if (std::isfinite(norm)) update(weights, clip_coefficient(norm, max_norm) / scale);
  }
  scaler_.update(std::isfinite(norm));
  if (!std::isfinite(norm) && scaler_.enabled() && scale > 1.0) {
    ++skipped_;  // the loss scale overflowed float16, not the model: a smaller one next step
    log_info(cat(where, ": float16 gradients overflow at loss scale ", scale,
                 ", step skipped; scale now ", scaler_.scale()));
    return norm;
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

void DataParallelOptimizer::update(std::vector<torch::Tensor>& weights, double grad_scale) {
  ++steps_;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < weights.size(); ++i) {
    const torch::Tensor& grad = weights[i].grad();
    // As torch::optim::AdamW: a parameter without a gradient is left alone.
    if (!grad.defined()) continue;
    adamw_update(weights[i].detach(), grad.contiguous(), m_[i], v_[i], settings_, steps_,
                 grad_scale);
    if (!master_.empty()) parameters_[i].detach().copy_(master_[i]);  // rounded to the dtype
  }
}

void DataParallelOptimizer::save(torch::serialize::OutputArchive& archive) const {
  scaler_.save(archive);
  if (sharded_) {
    sharded_->save(archive);
    return;
  }
  archive.write("adamw_steps", torch::tensor(steps_, torch::kLong));
  for (size_t i = 0; i < m_.size(); ++i) {
    archive.write(cat("adamw_m_", i), m_[i]);
    archive.write(cat("adamw_v_", i), v_[i]);
  }
  for (size_t i = 0; i < master_.size(); ++i) archive.write(cat("master_", i), master_[i]);
}

void DataParallelOptimizer::load(torch::serialize::InputArchive& archive) {
  scaler_.load(archive);
  if (sharded_) {
    sharded_->load(archive);
    return;
  }
  torch::Tensor steps;
  archive.read("adamw_steps", steps);
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < m_.size(); ++i) {
    torch::Tensor m, v;
    archive.read(cat("adamw_m_", i), m);
    archive.read(cat("adamw_v_", i), v);
    if (m.sizes() != m_[i].sizes() || v.sizes() != v_[i].sizes())
      throw InputError(cat("AdamW state of parameter ", i, " has shape ", m.sizes(),
                           ", the model's is ", m_[i].sizes(), " (a different model?)"));
    m_[i].copy_(m);
    v_[i].copy_(v);
  }
  for (size_t i = 0; i < master_.size(); ++i) {
    torch::Tensor master;
    archive.read(cat("master_", i), master);
    master_[i].copy_(master);
  }
  steps_ = steps.item<int64_t>();
}

int64_t DataParallelOptimizer::state_bytes() const {
  if (sharded_) return sharded_->state_bytes();
  int64_t values = 0;
  for (const torch::Tensor& p : parameters_) values += p.numel();
  const int64_t copies = master_.empty() ? 2 : 3;  // the moments, and master weights
  return copies * values * static_cast<int64_t>(sizeof(float));
}

std::string DataParallelOptimizer::describe_memory() const {
  double weight_bytes = 0;
  std::string dtype;
  for (const torch::Tensor& parameter : parameters_) {
    weight_bytes += static_cast<double>(parameter.numel() * parameter.element_size());
    dtype = c10::toString(parameter.scalar_type());
  }
  const torch::Device device = parameters_.empty() ? torch::kCPU : parameters_.front().device();
  return cat(describe_state(), "; weights ", megabytes(weight_bytes), " (", dtype, "); ",
             memory_summary(device));
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
