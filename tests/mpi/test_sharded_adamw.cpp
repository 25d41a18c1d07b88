// ZeRO-1 on 2 ranks: the sharded AdamW gives the weights of plain data-parallel AdamW, and
// each rank holds half of the optimiser state.
#include <gtest/gtest.h>

#include "scir/dist/gradient_sync.h"
#include "scir/dist/mpi_comm.h"
#include "scir/dist/sharded_adamw.h"

namespace scir {
namespace {

std::vector<torch::Tensor> initial_parameters() {
  torch::manual_seed(11);  // the same on both ranks
  std::vector<torch::Tensor> parameters;
  for (const std::vector<int64_t>& shape :
       std::vector<std::vector<int64_t>>{{5, 3}, {7}, {2, 2, 3}, {1}}) {
    parameters.push_back(torch::randn(shape).requires_grad_(true));
  }
  return parameters;
}

// Different gradients on each rank and step; large enough at step 2 that clipping acts.
void set_gradients(const std::vector<torch::Tensor>& parameters, int rank, int step) {
  for (size_t i = 0; i < parameters.size(); ++i) {
    const torch::Tensor& p = parameters[i];
    const_cast<torch::Tensor&>(p).mutable_grad() =
        torch::sin(torch::arange(p.numel(), torch::kFloat) * (1.0 + rank) + step +
                   static_cast<double>(i))
            .view(p.sizes()) *
        (step == 2 ? 10.0 : 0.5);
  }
}

TEST(ShardedAdamW, SameWeightsAsPlainAdamWAndHalfTheState) {
  auto comm = MpiComm::world();
  ASSERT_EQ(comm->size(), 2);
  AdamWSettings settings;
  settings.lr = 0.01;
  settings.beta2 = 0.95;
  settings.weight_decay = 0.1;
  const double max_norm = 1.0;

  std::vector<torch::Tensor> plain = initial_parameters();
  torch::optim::AdamW reference(plain, torch::optim::AdamWOptions(settings.lr)
                                           .betas({settings.beta1, settings.beta2})
                                           .eps(settings.eps)
                                           .weight_decay(settings.weight_decay));
  std::vector<torch::Tensor> sharded = initial_parameters();
  ShardedAdamW zero(*comm, sharded, settings);
  for (int step = 0; step < 3; ++step) {
    set_gradients(plain, comm->rank(), step);
    average_gradients(*comm, plain);
    const double plain_norm = torch::nn::utils::clip_grad_norm_(plain, max_norm);
    reference.step();
    set_gradients(sharded, comm->rank(), step);
    const double zero_norm = zero.step(max_norm);
    EXPECT_NEAR(zero_norm, plain_norm, 1e-5 * plain_norm) << "step " << step;
  }
  for (size_t i = 0; i < plain.size(); ++i) {
    EXPECT_LT((plain[i] - sharded[i]).abs().max().item<double>(), 1e-6) << "parameter " << i;
  }
  // 15 + 7 + 12 + 1 = 35 values: shards of 18 and 17, two float32 moments each.
  EXPECT_EQ(zero.state_bytes(), comm->rank() == 0 ? 18 * 2 * 4 : 17 * 2 * 4);
}

}  // namespace
}  // namespace scir
