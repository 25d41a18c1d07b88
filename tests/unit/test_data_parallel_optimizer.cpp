#include <gtest/gtest.h>

#include "scir/core/errors.h"
#include "scir/dist/serial_comm.h"
#include "scir/train/data_parallel_optimizer.h"

namespace scir {
namespace {

// A step with a non-finite gradient leaves the weights as they were and is counted; a finite
// step resets the run of them; max_nonfinite in a row stop with a diagnostic. Both optimisers.
TEST(DataParallelOptimizer, NonFiniteStepsAreSkippedCountedAndStopTheRun) {
  for (bool zero1 : {false, true}) {
    SerialComm comm;
    torch::Tensor weight = torch::ones({3}).requires_grad_(true);
    DataParallelSettings parallel;
    parallel.zero1 = zero1;
    parallel.max_nonfinite_steps = 2;
    DataParallelOptimizer optimizer(comm, {weight}, AdamWSettings{}, parallel);
    const auto set_gradient = [&](float value) { weight.mutable_grad() = torch::full({3}, value); };
    set_gradient(NAN);
    EXPECT_TRUE(std::isnan(optimizer.step(1.0, "step 1")));
    EXPECT_TRUE(torch::equal(weight, torch::ones({3}))) << zero1;
    set_gradient(0.5f);
    EXPECT_NEAR(optimizer.step(1.0, "step 2"), 0.5 * std::sqrt(3.0), 1e-6);
    EXPECT_LT(weight[0].item<double>(), 1.0);  // updated
    const torch::Tensor after = weight.detach().clone();
    set_gradient(INFINITY);
    optimizer.step(1.0, "step 3");
    EXPECT_TRUE(torch::equal(weight, after));
    set_gradient(NAN);
    try {
      optimizer.step(1.0, "[sft] step 4");
      FAIL() << "expected an InternalError";
    } catch (const InternalError& error) {
      EXPECT_STREQ(error.what(),
                   "[sft] step 4: 2 steps in a row with a non-finite gradient norm; stopping (a "
                   "lower learning rate or a tighter grad_clip may help)");
    }
    EXPECT_EQ(optimizer.skipped_steps(), 3);
  }
}

}  // namespace
}  // namespace scir
