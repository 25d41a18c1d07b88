// Tensor parallelism over 2 ranks against the full model on each rank: logits, response
// log-probs, greedy generation, gradients, an SGD step and clipped AdamW steps, LoRA adapters,
// untied and tied heads, and Qwen2's and Qwen3's attention.
#include <gtest/gtest.h>

#include "../unit/tiny_model.h"
#include "scir/core/errors.h"
#include "scir/dist/mpi_comm.h"
#include "scir/model/generation.h"
#include "scir/model/lora_adapter.h"
#include "scir/model/sequence_logprobs.h"
#include "scir/model/tensor_parallel.h"
#include "scir/train/data_parallel_optimizer.h"

namespace scir {
namespace {

using testing_support::random_ids;
using testing_support::tiny_config;
using testing_support::tiny_model;

double max_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>();
}

// The full model's parameter cut as rank r's slice.
torch::Tensor slice_of(const std::string& name, const torch::Tensor& full, const Comm& group) {
  const int dim = tensor_parallel_split_dim(name);
  if (dim < 0) return full;
  const int64_t chunk = full.size(dim) / group.size();
  return full.narrow(dim, group.rank() * chunk, chunk);
}

std::vector<PromptResponse> batch_of_sequences() {
  const torch::Tensor ids = random_ids(4, 14, 40, 3).contiguous();
  std::vector<PromptResponse> batch;
  for (int64_t i = 0; i < 4; ++i) {
    const int64_t* row = ids[i].data_ptr<int64_t>();
    batch.push_back(
        {std::vector<int64_t>(row, row + 3 + i), std::vector<int64_t>(row + 3 + i, row + 14)});
  }
  return batch;
}

// The model kinds: Llama with an untied and a tied head, Qwen2 (q/k/v biases, cut with their
// rows) and Qwen3 (head norms, whole on every rank, their gradients summed over the group).
ModelConfig config_for(const std::string& kind) {
  if (kind == "qwen2") return testing_support::tiny_config_of("Qwen2ForCausalLM", true);
  if (kind == "qwen3") return testing_support::tiny_config_of("Qwen3ForCausalLM");
  return tiny_config(/*tied=*/kind == "tied");
}

class TensorParallelTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    comm = MpiComm::world();
    ASSERT_EQ(comm->size(), 2) << "run these tests under mpiexec -n 2";
    full = tiny_model(config_for(GetParam()));
    sharded = tiny_model(config_for(GetParam()));
    sharded->shard_tensor_parallel(*comm);
  }
  std::unique_ptr<MpiComm> comm;
  std::shared_ptr<Transformer> full, sharded;
};

TEST_P(TensorParallelTest, LogitsLogProbsAndGreedyTokensMatchTheFullModel) {
  torch::NoGradGuard no_grad;
  const torch::Tensor ids = random_ids(3, 9, 40, 5);
  torch::Tensor mask = torch::ones({3, 9}, torch::kLong);
  mask[2].narrow(0, 0, 4).zero_();  // left padding
  EXPECT_LT(max_difference(sharded->forward(ids, mask), full->forward(ids, mask)), 1e-5);
  const auto batch = batch_of_sequences();
  EXPECT_LT(max_difference(response_logprobs(*sharded, batch, 0).sum,
                           response_logprobs(*full, batch, 0).sum),
            1e-5);
  SamplingOptions greedy;
  greedy.greedy = true;
  greedy.max_new_tokens = 8;
  std::vector<GenerationRequest> requests;
  for (size_t i = 0; i < batch.size(); ++i) requests.push_back({batch[i].prompt, i, 0});
  EXPECT_EQ(generate(*sharded, requests, greedy, {}, 0), generate(*full, requests, greedy, {}, 0));
}

TEST_P(TensorParallelTest, GradientsAndAnSgdStepMatchTheFullModel) {
  const auto batch = batch_of_sequences();
  const auto loss_of = [&](Transformer& model) {
    const ResponseLogProbs scored = response_logprobs(model, batch, 0);
    return -scored.sum.sum() / 40.0;
  };
  const torch::Tensor sharded_loss = loss_of(*sharded), full_loss = loss_of(*full);
  EXPECT_LT(max_difference(sharded_loss, full_loss), 1e-6);
  sharded_loss.backward();
  full_loss.backward();
  const auto full_weights = full->named_weights();
  torch::NoGradGuard no_grad;
  for (auto& [name, weight] : sharded->named_weights()) {
    const torch::Tensor& reference = full_weights.at(name);
    ASSERT_TRUE(weight.grad().defined()) << name;
    EXPECT_LT(max_difference(weight.grad(), slice_of(name, reference.grad(), *comm)), 1e-5) << name;
    weight.sub_(0.5 * weight.grad());
    reference.sub_(0.5 * reference.grad());
    EXPECT_LT(max_difference(weight, slice_of(name, reference, *comm)), 1e-5) << name;
  }
}

TEST_P(TensorParallelTest, ClippedAdamWStepsMatchTheFullModel) {
  // Clipping must use the whole model's gradient norm: each rank's slices alone give another
  // norm on every rank (the replicated norms would drift apart), and the update would differ
  // from one rank's. Plain AdamW and ZeRO-1, each over a one-rank data-parallel group.
  const auto batch = batch_of_sequences();
  std::unique_ptr<Comm> alone = comm->split(comm->rank(), 0);
  for (const bool zero1 : {false, true}) {
    SCOPED_TRACE(zero1 ? "ZeRO-1" : "AdamW");
    auto full_copy = tiny_model(config_for(GetParam()));
    auto sharded_copy = tiny_model(config_for(GetParam()));
    sharded_copy->shard_tensor_parallel(*comm);
    DataParallelSettings parallel;
    parallel.zero1 = zero1;
    AdamWSettings adamw;
    adamw.lr = 1e-3;
    DataParallelOptimizer full_optimizer(*alone, full_copy->parameters(), adamw, parallel);
    DataParallelOptimizer sharded_optimizer(*alone, sharded_copy->parameters(), adamw, parallel,
                                            sharded_copy->tensor_parallel_norm());
    for (int step = 0; step < 2; ++step) {
      for (auto* model : {full_copy.get(), sharded_copy.get()}) {
        const ResponseLogProbs scored = response_logprobs(*model, batch, 0);
        (-scored.sum.sum() / 40.0).backward();
      }
      // A bound well under the norm, so that clipping acts.
      const double full_norm = full_optimizer.step(0.05, "full");
      const double sharded_norm = sharded_optimizer.step(0.05, "sharded");
      EXPECT_GT(full_norm, 0.5);
      EXPECT_NEAR(sharded_norm, full_norm, 1e-5 * full_norm) << "step " << step;
      full_optimizer.zero_grad();
      sharded_optimizer.zero_grad();
    }
    const auto full_weights = full_copy->named_weights();
    double largest = 0;
    for (const auto& [name, weight] : sharded_copy->named_weights())
      largest =
          std::max(largest, max_difference(weight, slice_of(name, full_weights.at(name), *comm)));
    EXPECT_LT(largest, 1e-6);
  }
}

// LoRA on every projection of a model cut in two: each rank's factors are slices of the adapter
// the same seed gives the uncut model (A drawn whole, then cut), whole_weights gathers them back,
// and with B made non-zero the loss, the adapters' gradients, clipped AdamW steps on the adapters
// alone and the merge match the uncut model's, slice for slice. A factor cut along the wrong
// dimension, or a whole factor whose gradient is not summed over the group, is off by its own
// size.
TEST_P(TensorParallelTest, LoraAdaptersMatchTheFullModel) {
  LoraSettings settings;
  settings.rank = 3;
  LoraAdapter full_adapter(*full, settings, 11), sharded_adapter(*sharded, settings, 11);
  const auto drawn = full_adapter.named_weights();
  for (const auto& [name, factor] : sharded_adapter.named_weights())
    EXPECT_TRUE(torch::equal(factor, slice_of(name, drawn.at(name), *comm))) << name;
  torch::manual_seed(5);  // the same draw on both ranks
  std::map<std::string, torch::Tensor> trained;
  for (const auto& [name, factor] : drawn)
    trained[name] = factor.detach() + 0.1 * torch::randn(factor.sizes());
  full_adapter.assign(trained, "full");
  sharded_adapter.assign(trained, "sharded");
  const auto gathered = sharded_adapter.whole_weights();
  for (const auto& [name, factor] : trained)
    EXPECT_TRUE(torch::equal(gathered.at(name), factor)) << name;

  const auto batch = batch_of_sequences();
  std::unique_ptr<Comm> alone = comm->split(comm->rank(), 0);
  // With eps = lr, AdamW's update is Lipschitz in the gradient with constant lr / eps = 1 (with
  // eps = 1e-8 a gradient near eps would turn a rounding difference into one of up to lr), so
  // the gradients' rounding differences (< 1e-5, asserted) move a weight by less than 1e-5 a
  // step, while a wrong slice or a missing sum moves it by a share of lr.
  AdamWSettings adamw;
  adamw.lr = 1e-3;
  adamw.eps = 1e-3;
  DataParallelOptimizer full_optimizer(*alone, full_adapter.parameters(), adamw,
                                       DataParallelSettings{});
  DataParallelOptimizer sharded_optimizer(*alone, sharded_adapter.parameters(), adamw,
                                          DataParallelSettings{},
                                          sharded_adapter.tensor_parallel_norm());
  for (int step = 0; step < 2; ++step) {
    std::vector<torch::Tensor> losses;
    for (auto* model : {full.get(), sharded.get()}) {
      losses.push_back(-response_logprobs(*model, batch, 0).sum.sum() / 40.0);
      losses.back().backward();
    }
    EXPECT_LT(max_difference(losses[1], losses[0]), 1e-6) << "step " << step;
    if (step == 0) {
      const auto full_factors = full_adapter.named_weights();
      for (const auto& [name, factor] : sharded_adapter.named_weights()) {
        ASSERT_TRUE(factor.grad().defined()) << name;
        EXPECT_LT(
            max_difference(factor.grad(), slice_of(name, full_factors.at(name).grad(), *comm)),
            1e-5)
            << name;
      }
      for (const auto& [name, weight] : sharded->named_weights())
        EXPECT_FALSE(weight.grad().defined()) << name << ": frozen under the adapter";
    }
    const double full_norm = full_optimizer.step(0.05, "full");  // clipping acts
    EXPECT_GT(full_norm, 0.1);
    EXPECT_NEAR(sharded_optimizer.step(0.05, "sharded"), full_norm, 1e-5 * full_norm);
    full_optimizer.zero_grad();
    sharded_optimizer.zero_grad();
  }
  const auto full_factors = full_adapter.named_weights();
  double moved = 0;
  for (const auto& [name, factor] : sharded_adapter.named_weights()) {
    EXPECT_LT(max_difference(factor, slice_of(name, full_factors.at(name), *comm)), 2e-5) << name;
    moved = std::max(moved, max_difference(factor, slice_of(name, trained.at(name), *comm)));
  }
  EXPECT_GT(moved, 5e-4);  // the steps moved the factors by far more than the bound
  // The merge adds scale x B A of factors that agree within 2e-5 and whose entries stay below 0.7
  // (a draw within +-1/sqrt(in) plus 0.1 of a normal), over a rank of 3, scaled by 16 / 3:
  // 3 x 2 x 2e-5 x 0.7 x 16 / 3 = 4.5e-4 at most, while a slice merged with another's factors
  // is off by the term's size (about 0.1).
  full_adapter.merge();
  sharded_adapter.merge();
  const auto full_weights = full->named_weights();
  for (const auto& [name, weight] : sharded->named_weights())
    EXPECT_LT(max_difference(weight, slice_of(name, full_weights.at(name), *comm)), 5e-4) << name;
}

INSTANTIATE_TEST_SUITE_P(Models, TensorParallelTest,
                         ::testing::Values("untied", "tied", "qwen2", "qwen3"),
                         [](const auto& info) { return info.param; });

TEST(TensorParallel, IndivisibleShapesAreRefusedByName) {
  auto comm = MpiComm::world();
  ModelConfig config = tiny_config();
  config.num_attention_heads = 6;
  config.num_key_value_heads = 3;
  config.head_dim = 4;
  Transformer model(config);
  try {
    model.shard_tensor_parallel(*comm);
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_STREQ(error.what(),
                 "tensor parallelism over 2 ranks needs num_key_value_heads (3) to be a multiple "
                 "of 2");
  }
}

}  // namespace
}  // namespace scir
