// Bucketed gradient averaging and the replica check on 2 ranks.
#include <gtest/gtest.h>

#include "scir/core/errors.h"
#include "scir/dist/gradient_sync.h"
#include "scir/dist/mpi_comm.h"

namespace scir {
namespace {

// Parameters of odd sizes with rank-dependent gradients (one without a gradient on rank 1).
std::vector<torch::Tensor> parameters_with_gradients(int rank) {
  std::vector<torch::Tensor> parameters;
  int64_t k = 0;
  for (const std::vector<int64_t>& shape :
       std::vector<std::vector<int64_t>>{{3}, {2, 5}, {1}, {7}, {4, 3}}) {
    torch::Tensor p = torch::zeros(shape).requires_grad_(true);
    if (!(rank == 1 && k == 2)) {
      p.mutable_grad() = torch::arange(p.numel(), torch::kFloat).view(shape) * (rank + 1) + k;
    }
    parameters.push_back(p);
    ++k;
  }
  return parameters;
}

TEST(GradientSync, BucketsOfAnySizeEqualOneAllReduce) {
  auto comm = MpiComm::world();
  ASSERT_EQ(comm->size(), 2);
  const std::vector<torch::Tensor> whole = parameters_with_gradients(comm->rank());
  average_gradients(*comm, whole, {0, false});
  // The mean of rank 0's and rank 1's values, written out for one parameter.
  EXPECT_TRUE(
      torch::allclose(whole[1].grad(), torch::arange(10, torch::kFloat).view({2, 5}) * 1.5 + 1));
  EXPECT_TRUE(torch::allclose(whole[2].grad(), torch::full({1}, 1.0f)));  // (2 + 0) / 2
  for (int64_t bucket : {1, 3, 7, 11, 13, 1000}) {
    const std::vector<torch::Tensor> bucketed = parameters_with_gradients(comm->rank());
    average_gradients(*comm, bucketed, {bucket, false});
    for (size_t i = 0; i < whole.size(); ++i) {
      EXPECT_TRUE(torch::equal(bucketed[i].grad(), whole[i].grad()))
          << "bucket " << bucket << " parameter " << i;
    }
  }
}

TEST(GradientSync, ReplicaCheckPassesOnEqualWeightsAndNamesDivergedRanks) {
  auto comm = MpiComm::world();
  std::vector<torch::Tensor> same = {torch::arange(6, torch::kFloat), torch::ones({2, 2})};
  EXPECT_NO_THROW(check_replicas(*comm, same, "step 1"));
  EXPECT_EQ(parameters_hash(same), parameters_hash({same[0].clone(), same[1].clone()}));
  std::vector<torch::Tensor> differ = {torch::arange(6, torch::kFloat) + comm->rank()};
  try {
    check_replicas(*comm, differ, "[sft] step 3");
    FAIL() << "expected an InternalError";
  } catch (const InternalError& error) {
    EXPECT_STREQ(error.what(),
                 "[sft] step 3: weights of rank(s) 1 differ from rank 0's (data-parallel "
                 "replicas diverged)");
  }
}

}  // namespace
}  // namespace scir
