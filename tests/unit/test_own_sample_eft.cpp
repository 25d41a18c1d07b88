#include <gtest/gtest.h>

#include <filesystem>

#include "scir/dist/serial_comm.h"
#include "scir/io/jsonl.h"
#include "scir/tokenizer/byte_tokenizer.h"
#include "scir/train/own_sample_eft.h"
#include "tiny_model.h"

namespace scir {
namespace {

// A byte model that writes random digits and spaces until it samples EOS: the layers add
// nothing (zero output projections), every token embeds to the same vector, and the head gives
// digits and the space logit 4, EOS 2 and every other byte -8.
std::shared_ptr<Transformer> babbler(const std::string& likely_bytes) {
  ModelConfig config = testing_support::tiny_config();
  config.vocab_size = ByteTokenizer::kVocabSize;
  config.bos_token_id = ByteTokenizer::kBos;
  config.eos_token_id = ByteTokenizer::kEos;
  auto model = testing_support::tiny_model(config);
  torch::NoGradGuard no_grad;
  for (auto& [name, weight] : model->named_weights()) {
    if (name.find("o_proj") != std::string::npos || name.find("down_proj") != std::string::npos)
      weight.zero_();
  }
  auto weights = model->named_weights();
  weights.at("model.embed_tokens.weight").zero_().select(1, 0).fill_(1.0);  // normed: 4 e_0
  torch::Tensor head = weights.at("lm_head.weight").zero_().select(1, 0);
  head.fill_(-2.0);
  for (const char byte : likely_bytes) head[static_cast<unsigned char>(byte)] = 1.0;
  head[ByteTokenizer::kEos] = 0.5;
  return model;
}

// `count` world instructions from the default knobs.
std::vector<std::string> world_prompts(const world::World& world, uint64_t seed, int count) {
  std::vector<std::string> prompts;
  RngStream rng = RngStream::derive(seed, {1});
  for (int i = 0; i < count; ++i) prompts.push_back(world.sample_task(rng).instruction);
  return prompts;
}

JudgeTemplate world_pairwise() {
  return JudgeTemplate::from_file(default_template_dir() + "/world_pairwise.txt",
                                  JudgeKind::kPairwise);
}

// Whatever the model writes, every record must be an oracle-labelled pair of two of its
// distinct samples, in both orders.
TEST(OwnSampleEft, PairsOfTheModelsOwnSamplesInBothOrdersWithTheOracleVerdict) {
  auto model = babbler("0123456789 ");
  const ByteTokenizer tokenizer;
  const world::World world(world::WorldKnobs{});
  const JudgeTemplate pairwise = world_pairwise();
  const std::vector<std::string> prompts = world_prompts(world, 3, 24);
  OwnSampleEftSettings settings;
  settings.samples = 4;
  settings.sampling.temperature = 1.0;
  settings.sampling.top_p = 1.0;
  settings.sampling.max_new_tokens = 6;
  settings.sampling.seed = 5;
  settings.batch_size = 5;  // several batches, the last one short
  const std::string path = ::testing::TempDir() + "scir_own_sample_eft.jsonl";
  std::filesystem::remove(path);
  SerialComm comm;
  const ProcessGrid grid(comm, 1);
  const int64_t pairs =
      write_own_sample_eft(grid, *model, tokenizer, world, pairwise, prompts, settings, path);
  const auto records = read_jsonl(path);
  ASSERT_GT(pairs, 5);  // the test has something to check
  ASSERT_EQ(static_cast<int64_t>(records.size()), 2 * pairs);
  size_t last_prompt = 0;
  for (size_t i = 0; i < records.size(); i += 2) {
    const auto& first = records[i].value;
    const auto& second = records[i + 1].value;
    const std::string instruction = first["instruction"];
    const size_t prompt = std::find(prompts.begin(), prompts.end(), instruction) - prompts.begin();
    ASSERT_LT(prompt, prompts.size());
    EXPECT_GE(prompt, last_prompt);  // prompt order
    last_prompt = prompt;
    EXPECT_EQ(first["response_a"], second["response_b"]);
    EXPECT_EQ(first["response_b"], second["response_a"]);
    EXPECT_NE(first["response_a"], first["response_b"]);
    const double q_a = world.quality(instruction, first["response_a"]);
    const double q_b = world.quality(instruction, first["response_b"]);
    EXPECT_NE(q_a, q_b);
    EXPECT_EQ(first["q_a"].get<double>(), q_a);
    EXPECT_EQ(first["q_b"].get<double>(), q_b);
    EXPECT_EQ(first["response"], q_a > q_b ? "A" : "B");
    EXPECT_EQ(second["response"], q_a > q_b ? "B" : "A");
    EXPECT_EQ(first["prompt"],
              pairwise.render_pairwise(instruction, first["response_a"], first["response_b"]));
  }
  // The same settings give the same file.
  const std::string again = path + ".again";
  write_own_sample_eft(grid, *model, tokenizer, world, pairwise, prompts, settings, again);
  const auto repeated = read_jsonl(again);
  ASSERT_EQ(repeated.size(), records.size());
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(repeated[i].value, records[i].value);
}

// Bytes that are not UTF-8 (0xC3 followed by a digit) reach the file as U+FFFD, one valid JSON
// line a record.
TEST(OwnSampleEft, SamplesThatAreNotUtf8StillGiveValidJsonLines) {
  auto model = babbler(std::string("0123456789 \xC3"));
  const world::World world(world::WorldKnobs{});
  const JudgeTemplate pairwise = world_pairwise();
  const std::vector<std::string> prompts = world_prompts(world, 4, 48);
  OwnSampleEftSettings settings;
  settings.sampling.temperature = 1.0;
  settings.sampling.top_p = 1.0;
  settings.sampling.max_new_tokens = 5;
  const std::string path = ::testing::TempDir() + "scir_own_sample_eft_bytes.jsonl";
  SerialComm comm;
  const ProcessGrid grid(comm, 1);
  const int64_t pairs =
      write_own_sample_eft(grid, *model, ByteTokenizer(), world, pairwise, prompts, settings, path);
  ASSERT_GT(pairs, 0);
  const auto records = read_jsonl(path);
  EXPECT_EQ(static_cast<int64_t>(records.size()), 2 * pairs);
  bool replaced = false;
  for (const auto& record : records) {
    replaced = replaced || record.value["response_a"].get<std::string>().find("\xEF\xBF\xBD") !=
                               std::string::npos;
  }
  EXPECT_TRUE(replaced);
}

}  // namespace
}  // namespace scir
