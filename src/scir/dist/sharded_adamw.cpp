#include "scir/dist/sharded_adamw.h"

#include <algorithm>
#include <cmath>

#include "scir/core/errors.h"

namespace scir {

ShardedAdamW::ShardedAdamW(Comm& comm, std::vector<torch::Tensor> parameters,
                           AdamWSettings settings, TensorParallelNorm tp)
    : comm_(comm), parameters_(std::move(parameters)), settings_(settings), tp_(std::move(tp)) {
  const bool mixed = !parameters_.empty() && parameters_.front().scalar_type() != torch::kFloat;
  for (const torch::Tensor& p : parameters_) {
    if (p.scalar_type() != parameters_.front().scalar_type())
      throw InternalError("ShardedAdamW: parameters of one dtype expected");
    total_ += p.numel();
  }
  std::tie(begin_, end_) = scatter_chunk(total_, comm_.rank(), comm_.size());
  // The moments live where the parameters do.
  const auto options =
      (parameters_.empty() ? torch::TensorOptions() : parameters_.front().options())
          .dtype(torch::kFloat);
  m_ = torch::zeros({end_ - begin_}, options);
  v_ = torch::zeros({end_ - begin_}, options);
  if (mixed) master_ = flat_shard(torch::kFloat);
  if (tp_.group) {
    std::vector<torch::Tensor> weights;
    for (size_t i = 0; i < parameters_.size(); ++i)
      weights.push_back(torch::full({parameters_[i].numel()}, tp_.weight(i), torch::kDouble));
    norm_weights_ = torch::cat(weights).narrow(0, begin_, end_ - begin_).to(options.device());
  }
}

torch::Tensor ShardedAdamW::flat_shard(torch::ScalarType dtype) const {
  torch::NoGradGuard no_grad;
  const auto options =
      (parameters_.empty() ? torch::TensorOptions() : parameters_.front().options()).dtype(dtype);
  torch::Tensor shard = torch::empty({end_ - begin_}, options);
  int64_t offset = 0;
  for (const torch::Tensor& p : parameters_) {
    const int64_t from = std::max(begin_, offset), to = std::min(end_, offset + p.numel());
    if (from < to) {
      shard.narrow(0, from - begin_, to - from)
          .copy_(p.detach().reshape({-1}).narrow(0, from - offset, to - from));
    }
    offset += p.numel();
  }
  return shard;
}

torch::Tensor ShardedAdamW::flat_gradients() {
  torch::NoGradGuard no_grad;
  const int64_t chunk = scatter_chunk(total_, 0, comm_.size()).second;  // rank 0's is whole
  torch::Tensor flat = torch::zeros({chunk * comm_.size()}, m_.options());
  int64_t offset = 0;
  for (torch::Tensor& p : parameters_) {
    if (p.grad().defined()) flat.narrow(0, offset, p.numel()).copy_(p.grad().reshape({-1}));
    p.mutable_grad() = torch::Tensor();
    offset += p.numel();
  }
  return flat;
}

void ShardedAdamW::save(torch::serialize::OutputArchive& archive) const {
  if (master_.defined()) archive.write("zero1_master", master_);
  archive.write("zero1_m", m_);
  archive.write("zero1_v", v_);
  archive.write("zero1_steps", torch::tensor(steps_, torch::kLong));
}

void ShardedAdamW::load(torch::serialize::InputArchive& archive) {
  torch::Tensor m, v, steps;
  archive.read("zero1_m", m);
  archive.read("zero1_v", v);
  archive.read("zero1_steps", steps);
  if (m.sizes() != m_.sizes() || v.sizes() != v_.sizes())
    throw InputError(cat("ZeRO-1 state of ", m.numel(),
                         " values does not fit this rank's shard of ", m_.numel(),
                         " (a different rank count or model?)"));
  torch::NoGradGuard no_grad;
  if (master_.defined()) {
    torch::Tensor master;
    archive.read("zero1_master", master);
    master_.copy_(master);
  }
  m_.copy_(m);
  v_.copy_(v);
  steps_ = steps.item<int64_t>();
}

int64_t ShardedAdamW::state_bytes() const {
  const int64_t master = master_.defined() ? master_.numel() : 0;
  return (m_.numel() + v_.numel() + master) * static_cast<int64_t>(sizeof(float));
}

double ShardedAdamW::step(double max_norm, double unscale) {
  torch::NoGradGuard no_grad;
  // Each rank receives the average of its own shard only, summed in float32.
  const torch::Tensor g =
      comm_.reduce_scatter(flat_gradients(), ReduceOp::kAverage).narrow(0, 0, end_ - begin_);
  // The global norm from every shard's sum of squares (float64, as clip_grad_norm_ reports).
  const torch::Tensor g_squared = g.to(torch::kDouble).pow(2);
  const double squares =
      (norm_weights_.defined() ? g_squared.mul(norm_weights_) : g_squared).sum().item<double>();
  const double norm = std::sqrt(tensor_parallel_norm_squares(
                          tp_, all_reduce_scalar(comm_, squares, ReduceOp::kSum))) *
                      unscale;
  if (!std::isfinite(norm)) return norm;
  ++steps_;
  torch::Tensor p = master_.defined() ? master_ : flat_shard(torch::kFloat);
  adamw_update(p, g, m_, v_, settings_, steps_, clip_coefficient(norm, max_norm) * unscale);
  // Every rank's updated shard into every rank's parameters, in rank (= flat) order, rounded
  // to the parameters' dtype (the all-gather moves that dtype).
  const torch::Tensor updated =
      torch::cat(comm_.all_gather_varied(p.to(parameters_.front().scalar_type())));
  int64_t offset = 0;
  for (torch::Tensor& parameter : parameters_) {
    parameter.detach().copy_(updated.narrow(0, offset, parameter.numel()).view(parameter.sizes()));
    offset += parameter.numel();
  }
  return norm;
}

}  // namespace scir
