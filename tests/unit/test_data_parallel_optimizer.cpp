#include <gtest/gtest.h>

#include <sstream>

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

// Random gradients of step `step` for every parameter, the same for both copies; step 1 is
// large so that clipping applies.
void set_random_gradients(std::vector<torch::Tensor>& parameters, int step) {
  torch::manual_seed(100 + step);
  for (torch::Tensor& p : parameters)
    p.mutable_grad() = torch::randn(p.sizes()) * (step == 1 ? 10.0 : 0.1);
}

AdamWSettings adamw_at(double lr) {
  AdamWSettings settings;
  settings.lr = lr;
  return settings;
}

DataParallelSettings with_zero1(bool zero1) {
  DataParallelSettings parallel;
  parallel.zero1 = zero1;
  return parallel;
}

std::vector<torch::Tensor> fresh_parameters() {
  torch::manual_seed(7);
  return {torch::randn({4, 5}).requires_grad_(true), torch::randn({7}).requires_grad_(true),
          torch::randn({3, 2, 2}).requires_grad_(true)};
}

// The one-pass update with clipping folded in gives LibTorch's clip_grad_norm_ + AdamW: the
// same norms and weights over clipped and unclipped steps, with and without weight decay, and
// a copy restored from the saved state goes on the same way.
TEST(DataParallelOptimizer, StepsAsLibTorchsAdamWAfterClipGradNorm) {
  for (double weight_decay : {0.0, 0.1}) {
    SCOPED_TRACE(weight_decay);
    SerialComm comm;
    AdamWSettings settings;
    settings.lr = 0.01;
    settings.beta2 = 0.95;
    settings.weight_decay = weight_decay;
    std::vector<torch::Tensor> reference = fresh_parameters(), ours = fresh_parameters();
    torch::optim::AdamW libtorch(reference, torch::optim::AdamWOptions(settings.lr)
                                                .betas({settings.beta1, settings.beta2})
                                                .eps(settings.eps)
                                                .weight_decay(settings.weight_decay));
    DataParallelOptimizer optimizer(comm, ours, settings, DataParallelSettings{});
    std::stringstream bytes;
    for (int step = 0; step < 4; ++step) {
      set_random_gradients(reference, step);
      const double reference_norm = torch::nn::utils::clip_grad_norm_(reference, 1.0);
      libtorch.step();
      set_random_gradients(ours, step);
      EXPECT_NEAR(optimizer.step(1.0, "test"), reference_norm, 1e-6 * reference_norm) << step;
      if (step == 1) {
        torch::serialize::OutputArchive saved;
        optimizer.save(saved);
        saved.save_to(bytes);  // the archive holds the tensors themselves until written
      }
    }
    for (size_t i = 0; i < ours.size(); ++i)
      EXPECT_LT((ours[i] - reference[i]).abs().max().item<double>(), 1e-6) << "parameter " << i;

    // From the state after step 2, two more steps reach the same weights.
    torch::serialize::InputArchive loaded;
    loaded.load_from(bytes);
    std::vector<torch::Tensor> resumed = fresh_parameters();
    DataParallelOptimizer restored(comm, resumed, settings, DataParallelSettings{});
    restored.load(loaded);
    {
      // The weights after step 2, replayed by a third copy.
      std::vector<torch::Tensor> replay = fresh_parameters();
      DataParallelOptimizer first_two(comm, replay, settings, DataParallelSettings{});
      for (int step = 0; step < 2; ++step) {
        set_random_gradients(replay, step);
        first_two.step(1.0, "test");
      }
      torch::NoGradGuard no_grad;
      for (size_t i = 0; i < resumed.size(); ++i) resumed[i].copy_(replay[i]);
    }
    for (int step = 2; step < 4; ++step) {
      set_random_gradients(resumed, step);
      restored.step(1.0, "test");
    }
    for (size_t i = 0; i < ours.size(); ++i)
      EXPECT_TRUE(torch::equal(resumed[i], ours[i])) << "parameter " << i;
  }
}

// bfloat16 parameters train through float32 master weights: every step is the float32 AdamW
// step of the master weights on the gradients in float32 (what the optimiser does for float32
// parameters), and the parameters are those weights rounded; the master weights travel in the
// saved state, so a restored copy goes on exactly. Both optimisers.
TEST(DataParallelOptimizer, BFloat16ParametersStepThroughFloat32MasterWeights) {
  for (bool zero1 : {false, true}) {
    SCOPED_TRACE(zero1);
    SerialComm comm;
    const AdamWSettings settings = adamw_at(0.01);
    DataParallelSettings parallel = with_zero1(zero1);
    const auto bfloat16_parameters = [] {
      std::vector<torch::Tensor> parameters = fresh_parameters();
      for (torch::Tensor& p : parameters) p = p.detach().to(torch::kBFloat16).requires_grad_(true);
      return parameters;
    };
    // The float32 reference starts from the same (rounded) values, with the same gradients.
    std::vector<torch::Tensor> ours = bfloat16_parameters(), reference;
    for (const torch::Tensor& p : ours)
      reference.push_back(p.detach().to(torch::kFloat).requires_grad_(true));
    DataParallelOptimizer optimizer(comm, ours, settings, parallel);
    DataParallelOptimizer float32(comm, reference, settings, parallel);
    const int64_t values = 4 * 5 + 7 + 3 * 2 * 2;
    EXPECT_EQ(optimizer.state_bytes(), 3 * values * 4);  // moments and master weights
    const auto set_gradients = [&](std::vector<torch::Tensor>& parameters, int step,
                                   torch::ScalarType dtype) {
      set_random_gradients(parameters, step);
      for (torch::Tensor& p : parameters)
        p.mutable_grad() = p.grad().to(torch::kBFloat16).to(dtype);
    };
    std::stringstream bytes;
    for (int step = 0; step < 4; ++step) {
      set_gradients(ours, step, torch::kBFloat16);
      set_gradients(reference, step, torch::kFloat);
      EXPECT_EQ(optimizer.step(1.0, "test"), float32.step(1.0, "test")) << step;
      for (size_t i = 0; i < ours.size(); ++i) {
        EXPECT_EQ(ours[i].scalar_type(), torch::kBFloat16);
        EXPECT_TRUE(torch::equal(ours[i], reference[i].to(torch::kBFloat16))) << step << " " << i;
      }
      if (step == 1) {
        torch::serialize::OutputArchive saved;
        optimizer.save(saved);
        saved.save_to(bytes);
      }
    }
    // A copy at the rounded weights of step 2, its state restored, reaches the same weights.
    std::vector<torch::Tensor> resumed = bfloat16_parameters(), replay = bfloat16_parameters();
    {
      DataParallelOptimizer first_two(comm, replay, settings, parallel);
      for (int step = 0; step < 2; ++step) {
        set_gradients(replay, step, torch::kBFloat16);
        first_two.step(1.0, "test");
      }
      torch::NoGradGuard no_grad;
      for (size_t i = 0; i < resumed.size(); ++i) resumed[i].copy_(replay[i]);
    }
    DataParallelOptimizer restored(comm, resumed, settings, parallel);
    torch::serialize::InputArchive loaded;
    loaded.load_from(bytes);
    restored.load(loaded);
    for (int step = 2; step < 4; ++step) {
      set_gradients(resumed, step, torch::kBFloat16);
      restored.step(1.0, "test");
    }
    for (size_t i = 0; i < ours.size(); ++i)
      EXPECT_TRUE(torch::equal(resumed[i], ours[i])) << "parameter " << i;
  }
}

// GradScaler's rule: a non-finite step halves the scale and restarts the count, growth_interval
// finite steps in a row double it; only float16 parameters get a scale other than 1.
TEST(LossScaler, BacksOffOnOverflowAndGrowsAfterTheInterval) {
  LossScaleSettings settings;
  settings.growth_interval = 3;
  LossScaler scaler(torch::kHalf, settings);
  EXPECT_EQ(scaler.scale(), 65536.0);
  scaler.update(false);
  EXPECT_EQ(scaler.scale(), 32768.0);
  scaler.update(true);
  scaler.update(true);
  scaler.update(false);  // the count starts again
  scaler.update(true);
  scaler.update(true);
  EXPECT_EQ(scaler.scale(), 16384.0);
  scaler.update(true);
  EXPECT_EQ(scaler.scale(), 32768.0);
  // A restart goes on from the same scale and count.
  scaler.update(true);
  std::stringstream bytes;
  torch::serialize::OutputArchive saved;
  scaler.save(saved);
  saved.save_to(bytes);
  LossScaler restored(torch::kHalf, settings);
  torch::serialize::InputArchive loaded;
  loaded.load_from(bytes);
  restored.load(loaded);
  for (LossScaler* copy : {&scaler, &restored}) {
    copy->update(true);
    copy->update(true);
  }
  EXPECT_EQ(restored.scale(), 65536.0);
  EXPECT_EQ(scaler.scale(), restored.scale());
  for (torch::ScalarType dtype : {torch::kFloat, torch::kBFloat16}) {
    LossScaler none(dtype, settings);
    none.update(false);
    EXPECT_FALSE(none.enabled());
    EXPECT_EQ(none.scale(), 1.0);
  }
}

// float16 parameters: the gradients a backward of the scaled loss leaves are divided by the
// scale in float32, so the step equals float32's on the unscaled gradients, exactly (the scale
// is a power of two). An overflow skips the step and halves the scale without counting towards
// the non-finite limit. Both optimisers.
TEST(DataParallelOptimizer, Float16StepsUnscaleTheGradientsAndBackOffOnOverflow) {
  for (bool zero1 : {false, true}) {
    SCOPED_TRACE(zero1);
    SerialComm comm;
    const AdamWSettings settings = adamw_at(0.01);
    DataParallelSettings parallel = with_zero1(zero1);
    parallel.max_nonfinite_steps = 2;
    std::vector<torch::Tensor> ours = fresh_parameters(), reference;
    for (torch::Tensor& p : ours) p = p.detach().to(torch::kHalf).requires_grad_(true);
    for (const torch::Tensor& p : ours)
      reference.push_back(p.detach().to(torch::kFloat).requires_grad_(true));
    DataParallelOptimizer optimizer(comm, ours, settings, parallel);
    DataParallelOptimizer float32(comm, reference, settings, parallel);
    EXPECT_EQ(float32.loss_scale(), 1.0);
    // Steps 2-4: gradients of about 0.1, which times 65,536 still fit float16 (step 1's, of
    // about 10, would overflow: the case below).
    for (int step = 2; step < 5; ++step) {
      const double scale = optimizer.loss_scale();
      EXPECT_EQ(scale, 65536.0);
      set_random_gradients(reference, step);
      for (size_t i = 0; i < ours.size(); ++i) {
        // What the backward of the scaled loss gives in float16, and the float32 gradient it
        // stands for.
        ours[i].mutable_grad() = (reference[i].grad() * scale).to(torch::kHalf);
        reference[i].mutable_grad() = ours[i].grad().to(torch::kFloat) / scale;
      }
      EXPECT_EQ(optimizer.step(1.0, "test"), float32.step(1.0, "test")) << step;
      for (size_t i = 0; i < ours.size(); ++i)
        EXPECT_TRUE(torch::equal(ours[i], reference[i].to(torch::kHalf))) << step << " " << i;
    }
    const torch::Tensor before = ours[0].detach().clone();
    for (int overflow = 0; overflow < 3; ++overflow) {  // more than max_nonfinite_steps
      for (torch::Tensor& p : ours)
        p.mutable_grad() = torch::full(p.sizes(), INFINITY).to(torch::kHalf);
      EXPECT_FALSE(std::isfinite(optimizer.step(1.0, "test")));
    }
    EXPECT_EQ(optimizer.loss_scale(), 65536.0 / 8);
    EXPECT_EQ(optimizer.skipped_steps(), 3);
    EXPECT_TRUE(torch::equal(ours[0], before));
  }
}

}  // namespace
}  // namespace scir
