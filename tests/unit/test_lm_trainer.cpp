#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "scir/data/lm_examples.h"
#include "scir/dist/serial_comm.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/tokenizer/byte_tokenizer.h"
#include "scir/train/lm_trainer.h"
#include "scir/train/lr_schedule.h"
#include "tiny_model.h"

namespace scir {
namespace {

using testing_support::tiny_config;
using testing_support::tiny_model;

std::shared_ptr<Transformer> byte_model() {
  ModelConfig config = tiny_config();
  config.vocab_size = ByteTokenizer::kVocabSize;
  auto model = std::make_shared<Transformer>(config);
  model->init_weights(3);
  return model;
}

std::string write_examples() {
  const std::string path = ::testing::TempDir() + "lm_examples.jsonl";
  std::ofstream file(path);
  for (int i = 0; i < 40; ++i) {
    file << "{\"prompt\": \"sort: " << i % 7 << " " << i % 5 << "\", \"response\": \""
         << std::min(i % 7, i % 5) << " " << std::max(i % 7, i % 5) << "\"}\n";
  }
  return path;
}

TEST(LmExamples, SftMasksThePromptAndPretrainingDoesNot) {
  ByteTokenizer tokenizer;
  const std::string path = write_examples();
  const auto sft =
      read_lm_examples({path}, tokenizer, ChatTemplate::kPlain, LossTokens::kResponseOnly);
  const auto all =
      read_lm_examples({path}, tokenizer, ChatTemplate::kPlain, LossTokens::kAllTokens);
  ASSERT_EQ(sft.size(), 40u);
  // "sort: 0 0\n" after BOS; response "0 0" + EOS.
  EXPECT_EQ(sft[0].prompt.size(), 1u + 10u);
  EXPECT_EQ(sft[0].response, (std::vector<int64_t>{'0', ' ', '0', ByteTokenizer::kEos}));
  EXPECT_EQ(all[0].prompt, (std::vector<int64_t>{ByteTokenizer::kBos}));
  EXPECT_EQ(all[0].response.size(), 10u + 4u);
}

// Under SFT masking the loss and its gradient are those of the response tokens alone: equal to
// a manual response-only NLL from a full forward, and different from the all-token NLL.
TEST(LmTrainer, PromptTokensContributeNoGradientUnderSft) {
  auto model = byte_model();
  const PromptResponse example{{ByteTokenizer::kBos, 's', 'o', 'r', 't'},
                               {'1', ' ', '2', ByteTokenizer::kEos}};
  const ResponseLogProbs scored = response_logprobs(*model, {example}, ByteTokenizer::kPad);
  (-scored.sum[0]).backward();
  const auto weights = model->named_weights();
  std::map<std::string, torch::Tensor> masked;
  for (const auto& [name, weight] : weights) {
    masked[name] = weight.grad().clone();
    weight.mutable_grad() = torch::Tensor();
  }
  std::vector<int64_t> sequence = example.prompt;
  sequence.insert(sequence.end(), example.response.begin(), example.response.end());
  const torch::Tensor ids = torch::tensor(sequence, torch::kLong).unsqueeze(0);
  const torch::Tensor log_probs =
      torch::log_softmax(model->forward(ids, torch::ones_like(ids)), -1)[0];
  torch::Tensor response_nll = torch::zeros({});
  torch::Tensor all_nll = torch::zeros({});
  for (size_t position = 1; position < sequence.size(); ++position) {
    const torch::Tensor nll = -log_probs[position - 1][sequence[position]];
    all_nll = all_nll + nll;
    if (position >= example.prompt.size()) response_nll = response_nll + nll;
  }
  EXPECT_NEAR((-scored.sum[0]).item<double>(), response_nll.item<double>(), 1e-5);
  EXPECT_GT(all_nll.item<double>() - response_nll.item<double>(), 1.0);
  response_nll.backward();
  for (const auto& [name, weight] : weights) {
    EXPECT_LT((weight.grad() - masked[name]).abs().max().item<double>(), 1e-5) << name;
  }
}

TEST(LmTrainer, LossDecreasesAndReloadedCheckpointGivesTheSameLoss) {
  ByteTokenizer tokenizer;
  auto model = byte_model();
  const auto examples = read_lm_examples({write_examples()}, tokenizer, ChatTemplate::kPlain,
                                         LossTokens::kResponseOnly);
  SerialComm comm;
  LmTrainOptions options;
  options.steps = 60;
  options.batch_size = 8;
  options.lr = 1e-2;
  options.warmup_steps = 5;
  options.log_every = 1000;
  const LmStepMetrics metrics =
      train_language_model(*model, comm, examples, options, ByteTokenizer::kPad);
  ASSERT_EQ(metrics.loss.size(), 60u);
  const double first = (metrics.loss[0] + metrics.loss[1] + metrics.loss[2]) / 3;
  const double last = (metrics.loss[57] + metrics.loss[58] + metrics.loss[59]) / 3;
  EXPECT_LT(last, 0.5 * first) << first << " -> " << last;
  EXPECT_DOUBLE_EQ(metrics.lr[4], 1e-2);     // end of warm-up
  EXPECT_NEAR(metrics.lr[59], 1e-3, 1e-12);  // cosine down to min_lr_ratio 0.1

  const std::string directory = ::testing::TempDir() + "lm_trainer_checkpoint";
  save_hf_model(directory, *model, tokenizer);
  LoadedModel reloaded = load_hf_model(directory);
  torch::NoGradGuard no_grad;
  const auto before = response_logprobs(*model, examples, ByteTokenizer::kPad).sum;
  const auto after = response_logprobs(*reloaded.model, examples, ByteTokenizer::kPad).sum;
  EXPECT_TRUE(torch::equal(before, after));
}

TEST(LmTrainer, PerSequenceLossWeighsEachSequenceEqually) {
  auto model = byte_model();
  SerialComm comm;
  const std::vector<PromptResponse> examples = {{{ByteTokenizer::kBos, 'a'}, {'b'}},
                                                {{ByteTokenizer::kBos, 'c'}, {'d', 'e', 'f', 'g'}}};
  torch::NoGradGuard no_grad;
  const ResponseLogProbs scored = response_logprobs(*model, examples, ByteTokenizer::kPad);
  const double token_mean = -(scored.sum.sum()).item<double>() / 5;
  const double sequence_mean =
      -(scored.sum[0].item<double>() / 1 + scored.sum[1].item<double>() / 4) / 2;
  LmTrainOptions options;
  options.steps = 1;
  options.batch_size = 2;
  options.log_every = 1000;
  options.lr = 1e-12;  // the first step's loss is measured before the update anyway
  auto copy = byte_model();
  {
    torch::AutoGradMode grad(true);
    const auto by_token =
        train_language_model(*model, comm, examples, options, ByteTokenizer::kPad);
    options.per_sequence_loss = true;
    const auto by_sequence =
        train_language_model(*copy, comm, examples, options, ByteTokenizer::kPad);
    EXPECT_NEAR(by_token.loss[0], token_mean, 1e-5);
    EXPECT_NEAR(by_sequence.loss[0], sequence_mean, 1e-5);
  }
}

// Micro-batches accumulate the same gradient as one forward over the rank's share: the losses
// and the weights after a few steps match (both loss normalisations).
TEST(LmTrainer, MicroBatchesGiveTheSameSteps) {
  ByteTokenizer tokenizer;
  const auto examples =
      read_lm_examples({write_examples()}, tokenizer, ChatTemplate::kPlain, LossTokens::kAllTokens);
  SerialComm comm;
  for (bool per_sequence : {false, true}) {
    LmTrainOptions options;
    options.steps = 3;
    options.batch_size = 7;
    options.lr = 1e-2;
    options.log_every = 1000;
    options.per_sequence_loss = per_sequence;
    auto whole = byte_model();
    auto chunked = byte_model();
    const auto expected =
        train_language_model(*whole, comm, examples, options, ByteTokenizer::kPad);
    options.micro_batch_size = 3;  // chunks of 3, 3 and 1
    const auto got = train_language_model(*chunked, comm, examples, options, ByteTokenizer::kPad);
    for (int step = 0; step < 3; ++step) {
      EXPECT_NEAR(got.loss[step], expected.loss[step], 1e-5);
      EXPECT_NEAR(got.grad_norm[step], expected.grad_norm[step], 1e-5);
    }
    const auto want = whole->named_weights();
    for (const auto& [name, weight] : chunked->named_weights()) {
      EXPECT_LT((weight - want.at(name)).abs().max().item<double>(), 1e-5) << name;
    }
  }
}

TEST(LrSchedule, WarmupThenCosine) {
  const LrSchedule schedule{1.0, 0.1, 4, 14};
  EXPECT_DOUBLE_EQ(schedule.at(0), 0.25);
  EXPECT_DOUBLE_EQ(schedule.at(3), 1.0);
  EXPECT_NEAR(schedule.at(4), 1.0, 1e-12);
  EXPECT_NEAR(schedule.at(13), 0.1, 1e-12);
  EXPECT_NEAR(schedule.at(8) + schedule.at(9), 1.1, 0.2);  // around the middle of the decay
}

TEST(BatchSampler, EveryExampleOnceAnEpochDeterministically) {
  BatchSampler sampler(10, 3), again(10, 3);
  std::vector<size_t> seen;
  for (int step = 0; step < 5; ++step) {
    const auto batch = sampler.batch(step, 2);
    EXPECT_EQ(batch, again.batch(step, 2));
    seen.insert(seen.end(), batch.begin(), batch.end());
  }
  std::sort(seen.begin(), seen.end());
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(seen[i], i);
}

}  // namespace
}  // namespace scir
