#include <gtest/gtest.h>

#include "scir/model/cpu_decoder.h"
#include "tiny_model.h"

namespace scir {
namespace {

using testing_support::random_ids;
using testing_support::tiny_config;
using testing_support::tiny_model;

KvCache copy_of(const KvCache& cache) {
  KvCache copy = cache;
  for (auto& keys : copy.keys) keys = keys.clone();
  for (auto& values : copy.values) values = values.clone();
  return copy;
}

// Left-padded prompts of lengths 5, 2 and 4, then steps of one token a row through both the
// model's forward and the decoder; the second row stops (mask 0) after two steps, as a row that
// produced EOS does in generate().
void expect_decoder_matches_forward(const ModelConfig& config) {
  auto model = tiny_model(config);
  ASSERT_TRUE(CpuDecoder::supports(*model));
  torch::NoGradGuard no_grad;
  const int64_t rows = 3, longest = 5, steps = 6;
  const int64_t lengths[rows] = {5, 2, 4};
  torch::Tensor ids = random_ids(rows, longest, config.vocab_size, 11);
  torch::Tensor mask = torch::zeros({rows, longest + steps}, torch::kLong);
  for (int64_t b = 0; b < rows; ++b) mask[b].narrow(0, longest - lengths[b], lengths[b]).fill_(1);
  KvCache forward_cache = model->new_cache(rows, longest + steps);
  model->hidden(ids, mask.narrow(1, 0, longest), &forward_cache);
  KvCache decoder_cache = copy_of(forward_cache);
  CpuDecoder decoder(*model, forward_cache.capacity);
  const torch::Tensor tokens = random_ids(steps, rows, config.vocab_size, 12);
  for (int64_t step = 0; step < steps; ++step) {
    const int64_t filled = longest + step + 1;
    for (int64_t b = 0; b < rows; ++b) mask[b][filled - 1] = (b == 1 && step >= 2) ? 0 : 1;
    const torch::Tensor row_tokens = tokens[step].contiguous();
    const std::vector<int64_t> chosen(row_tokens.data_ptr<int64_t>(),
                                      row_tokens.data_ptr<int64_t>() + rows);
    const torch::Tensor expected =
        model->forward(row_tokens.unsqueeze(1), mask.narrow(1, 0, filled), &forward_cache)
            .select(1, 0);
    const torch::Tensor actual = decoder.step(chosen, mask.narrow(1, 0, filled), decoder_cache);
    ASSERT_EQ(actual.sizes(), expected.sizes());
    EXPECT_GT(expected.abs().max().item<double>(), 1.0);  // logits far from zero
    EXPECT_LT((actual - expected).abs().max().item<double>(), 2e-5) << "step " << step;
    EXPECT_EQ(decoder_cache.length, forward_cache.length);
  }
  const int64_t filled = forward_cache.length;
  for (size_t layer = 0; layer < forward_cache.keys.size(); ++layer) {
    for (const auto& [mine, theirs] :
         {std::pair{decoder_cache.keys[layer], forward_cache.keys[layer]},
          std::pair{decoder_cache.values[layer], forward_cache.values[layer]}}) {
      EXPECT_LT(
          (mine.narrow(2, 0, filled) - theirs.narrow(2, 0, filled)).abs().max().item<double>(),
          1e-5);
    }
  }
}

TEST(CpuDecoder, StepEqualsForwardGroupedQueryUntied) {
  expect_decoder_matches_forward(tiny_config());
}

TEST(CpuDecoder, StepEqualsForwardTiedEmbeddings) {
  expect_decoder_matches_forward(tiny_config(/*tied=*/true));
}

TEST(CpuDecoder, StepEqualsForwardSlidingWindow) {
  // A window of 3 hides most of the prompt from the later steps.
  expect_decoder_matches_forward(tiny_config(/*tied=*/false, /*sliding_window=*/3));
}

TEST(CpuDecoder, StepEqualsForwardOneKeyHeadPerQueryHead) {
  ModelConfig config = tiny_config();
  config.num_key_value_heads = 4;
  expect_decoder_matches_forward(config);
}

TEST(CpuDecoder, StepEqualsForwardWideHeads) {
  // head_dim 12: the eight-at-a-time loops and their remainder.
  ModelConfig config = tiny_config();
  config.head_dim = 12;
  expect_decoder_matches_forward(config);
}

TEST(CpuDecoder, OnlyForFloat32) {
  EXPECT_FALSE(CpuDecoder::supports(*tiny_model(tiny_config(), torch::kDouble)));
  EXPECT_FALSE(CpuDecoder::supports(*tiny_model(tiny_config(), torch::kBFloat16)));
}

}  // namespace
}  // namespace scir
