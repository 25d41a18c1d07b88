#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "scir/core/errors.h"
#include "scir/data/judge_template.h"
#include "scir/data/world/int_list.h"
#include "scir/data/world/world.h"
#include "scir/data/world/world_datasets.h"
#include "scir/io/jsonl.h"

namespace scir::world {
namespace {

struct OracleCase {
  const char* instruction;
  std::string response;
  double expected;
};

TEST(WorldOracle, TableOfResponses) {
  const World world(WorldKnobs{});
  const std::string overlong(5000, '7');
  const OracleCase cases[] = {
      // sort: F1 of the values x (1/2 + 1/2 share of ordered neighbours)
      {"sort: 5 3 9 1", "1 3 5 9", 1.0},
      {"sort: 5 3 9 1", "1 5 3 9", 1.0 * (0.5 + 0.5 * 2.0 / 3.0)},
      {"sort: 5 3 9 1", "1 3 5", (2 * 1.0 * 0.75 / 1.75) * 1.0},
      {"sort: 5 3 9 1", "", 0.0},
      {"sort: 5 3 9 1", "banana split", 0.0},
      {"sort: 5 3 9 1", "1 3 x 9", (2 * 0.75 * 0.75 / 1.5) * (0.5 + 0.5 * 1.0)},
      {"sort: 5 3 9 1", overlong, 0.0},
      // unique keeps first occurrences in order
      {"unique: 4 4 2 4 7", "4 2 7", 1.0},
      {"unique: 4 4 2 4 7", "4 4 2 7", (2 * 0.75 * 1.0 / 1.75) * (0.5 + 0.5 * 2.0 / 3.0)},
      {"unique: 4 4 2 4 7", "7 2 4", 1.0 * 0.5},
      // evens in order; an empty answer is right when there is none
      {"evens: 3 8 5 2", "8 2", 1.0},
      {"evens: 3 8 5 2", "2 8", 0.5},
      {"evens: 3 5", "", 1.0},
      {"evens: 3 5", "3", 0.25},
      // reverse: neighbours of the answer kept in direction
      {"reverse: 1 2 3", "3 2 1", 1.0},
      {"reverse: 1 2 3", "1 2 3", 0.5},
      // max: the largest value, partial credit for a large member of the list
      {"max: 3 9 2", "9", 1.0},
      {"max: 3 9 2", "3", 0.8 * 2.0 / 3.0},
      {"max: 3 9 2", "11", 0.05},
      {"max: 3 9 2", "9 3", 0.25},
      // pairsum: two members that add up to the first number, in either order
      {"pairsum: 12 5 3 9 1 7", "5 7", 1.0},
      {"pairsum: 12 5 3 9 1 7", "9 3", 1.0},
      {"pairsum: 10 5 5 1", "5 5", 1.0},
      // two members, a near miss above a far one
      {"pairsum: 12 5 3 9 1 7", "5 9", 0.2 + 0.3 / 2},
      {"pairsum: 12 5 3 9 1 7", "5 3", 0.2 + 0.3 / 4},
      // the right sum of values not in the list; one member; a value used twice counts once
      {"pairsum: 12 5 3 9 1 7", "6 6", 0.2},
      {"pairsum: 12 5 3 9 1 7", "5 8", 0.1},
      {"pairsum: 12 5 3 9 1 7", "5 5", 0.1},
      {"pairsum: 12 5 3 9 1 7", "2 4", 0.0},
      // not two numbers: at most 0.1, by the share of tokens that are members
      {"pairsum: 12 5 3 9 1 7", "5", 0.05},
      {"pairsum: 12 5 3 9 1 7", "5 7 3", 0.1},
      {"pairsum: 12 5 3 9 1 7", "5 x", 0.05},
      {"pairsum: 12 5 3 9 1 7", "", 0.0},
      // no two values add up to the target: not a task of this world
      {"pairsum: 10 5 1 2", "5 5", 0.0},
      {"pairsum: 10", "5 5", 0.0},
      // a response in another family's format is scored by this instruction's family
      {"max: 3 9 2", "2 3 9", 0.5 / 3.0},
      // an instruction of no family scores 0 whatever the response
      {"median: 3 9 2", "3", 0.0},
      {"sort:", "1", 0.0},
  };
  for (const OracleCase& c : cases) {
    EXPECT_NEAR(world.quality(c.instruction, c.response), c.expected, 1e-12)
        << c.instruction << " -> '" << c.response.substr(0, 20) << "'";
  }
}

TEST(WorldOracle, QualityStaysInRangeForCorruptedResponses) {
  const World world(WorldKnobs{});
  RngStream rng = RngStream::derive(3, {});
  for (int i = 0; i < 500; ++i) {
    const Task task = world.sample_task(rng);
    EXPECT_EQ(world.quality(task.instruction, task.reference), 1.0) << task.instruction;
    const double q = world.quality(task.instruction, world.corrupted_response(task, rng, 3));
    EXPECT_GE(q, 0.0);
    EXPECT_LE(q, 1.0);
  }
}

TEST(WorldOracle, EveryFamilysSampledTaskHasACorrectReference) {
  WorldKnobs knobs;
  knobs.families = {"sort", "unique", "evens", "reverse", "max", "pairsum"};
  knobs.max_value = 9;
  const World world(knobs);
  RngStream rng = RngStream::derive(5, {});
  std::map<std::string, int> drawn;
  for (int i = 0; i < 600; ++i) {
    const Task task = world.sample_task(rng);
    ++drawn[task.family->name()];
    EXPECT_EQ(world.quality(task.instruction, task.reference), 1.0) << task.instruction;
    if (task.family->name() != "pairsum") continue;
    // the target, then min_length..max_length values; two of them at two positions add up
    ASSERT_GE(task.list.size(), static_cast<size_t>(knobs.min_length + 1));
    ASSERT_LE(task.list.size(), static_cast<size_t>(knobs.max_length + 1));
    const std::vector<int> answer = parse_list(task.reference).values;
    ASSERT_EQ(answer.size(), 2u) << task.instruction;
    EXPECT_EQ(answer[0] + answer[1], task.list[0]) << task.instruction;
  }
  EXPECT_EQ(drawn.size(), 6u);
  EXPECT_GT(drawn["pairsum"], 50);
}

// The options that fill the knobs are checked where they are read (apps, WorldCli tests); knobs
// out of range here are a caller's defect.
TEST(WorldKnobs, BadValuesAreRefused) {
  WorldKnobs unknown;
  unknown.families = {"sort", "median"};
  EXPECT_THROW(World{unknown}, InternalError);
  WorldKnobs lengths;
  lengths.min_length = 5;
  lengths.max_length = 2;
  EXPECT_THROW(World{lengths}, InternalError);
}

class WorldDatasets : public ::testing::Test {
 protected:
  static std::string write(uint64_t seed, const std::string& name, int judge_prompts = 0) {
    const std::string directory = ::testing::TempDir() + "scir_world_" + name;
    std::filesystem::remove_all(directory);
    DatasetSizes sizes;
    sizes.corpus = 300;
    sizes.ift = 100;
    sizes.eft_pairs = 100;
    sizes.pool = 50;
    sizes.eval_prompts = 40;
    sizes.heldout_pairs = 60;
    sizes.judge_prompts = judge_prompts;
    const JudgeTemplate pairwise = JudgeTemplate::from_file(
        default_template_dir() + "/world_pairwise.txt", JudgeKind::kPairwise);
    write_world_datasets(World(WorldKnobs{}), pairwise, sizes, seed, directory);
    return directory;
  }
  static std::string read_all(const std::string& path) {
    std::ifstream file(path);
    return std::string((std::istreambuf_iterator<char>(file)), {});
  }
};

TEST_F(WorldDatasets, DeterministicForASeedAndDifferentForAnother) {
  const std::string first = write(9, "a"), second = write(9, "b"), other = write(10, "c");
  for (const char* file : {"/corpus.jsonl", "/ift.jsonl", "/eft.jsonl", "/pool_1.jsonl",
                           "/pool_2.jsonl", "/eval_prompts.jsonl", "/heldout_pairs.jsonl"}) {
    EXPECT_EQ(read_all(first + file), read_all(second + file)) << file;
    EXPECT_NE(read_all(first + file), read_all(other + file)) << file;
  }
}

TEST_F(WorldDatasets, SplitsShareNoInstruction) {
  const std::string directory = write(4, "disjoint", 30);
  std::map<std::string, std::string> owner;  // instruction -> data set
  const auto claim = [&](const std::string& instruction, const std::string& dataset) {
    const auto [it, fresh] = owner.emplace(instruction, dataset);
    EXPECT_TRUE(fresh || it->second == dataset)
        << instruction << " in both " << it->second << " and " << dataset;
  };
  for (const char* file :
       {"corpus", "ift", "pool_1", "pool_2", "eval_prompts", "heldout_pairs", "judge_prompts"}) {
    const std::string path = directory + "/" + file + ".jsonl";
    std::set<std::string> seen;
    for (const auto& record : read_jsonl(path)) {
      const std::string instruction = record.value["prompt"];
      EXPECT_TRUE(seen.insert(instruction).second) << "repeated in " << file;
      claim(instruction, file);
    }
  }
  for (const auto& record : read_jsonl(directory + "/eft.jsonl"))
    claim(record.value["instruction"], "eft");
  EXPECT_EQ(owner.size(), 300u + 100 + 100 + 2 * 50 + 40 + 60 + 30);  // every draw distinct
}

TEST_F(WorldDatasets, JudgePromptsAreDrawnLastAndLeaveTheOtherFilesAsTheyWere) {
  const std::string without = write(6, "no_judge"), with = write(6, "judge", 20);
  EXPECT_FALSE(std::filesystem::exists(without + "/judge_prompts.jsonl"));
  EXPECT_EQ(read_jsonl(with + "/judge_prompts.jsonl").size(), 20u);
  for (const char* file : {"/corpus.jsonl", "/ift.jsonl", "/eft.jsonl", "/pool_1.jsonl",
                           "/pool_2.jsonl", "/eval_prompts.jsonl", "/heldout_pairs.jsonl"}) {
    EXPECT_EQ(read_all(without + file), read_all(with + file)) << file;
  }
}

TEST_F(WorldDatasets, EftHasBothOrdersWithTheOracleVerdict) {
  const std::string directory = write(5, "eft");
  const JudgeTemplate pairwise = JudgeTemplate::from_file(
      default_template_dir() + "/world_pairwise.txt", JudgeKind::kPairwise);
  const World world(WorldKnobs{});
  const auto records = read_jsonl(directory + "/eft.jsonl");
  ASSERT_EQ(records.size(), 200u);
  for (size_t i = 0; i < records.size(); i += 2) {
    const auto& first = records[i].value;
    const auto& second = records[i + 1].value;
    EXPECT_EQ(first["response_a"], second["response_b"]);
    EXPECT_EQ(first["response_b"], second["response_a"]);
    EXPECT_NE(first["response"], second["response"]);
    const double q_a = world.quality(first["instruction"], first["response_a"]);
    const double q_b = world.quality(first["instruction"], first["response_b"]);
    EXPECT_EQ(first["q_a"].get<double>(), q_a);
    EXPECT_EQ(first["response"], q_a > q_b ? "A" : "B");
    // The prompt is the template rendered with the pair, in this order.
    EXPECT_EQ(first["prompt"], pairwise.render_pairwise(first["instruction"], first["response_a"],
                                                        first["response_b"]));
  }
}

TEST(JudgeTemplate, RendersBothOrdersAndRejectsMissingPlaceholders) {
  const JudgeTemplate pairwise = JudgeTemplate::from_text(
      "judge {instruction}\nA: {response_a}\nB: {response_b}\nbetter:", JudgeKind::kPairwise, "t");
  EXPECT_EQ(pairwise.render_pairwise("sort: 2 1", "1 2", "2 1"),
            "judge sort: 2 1\nA: 1 2\nB: 2 1\nbetter:");
  EXPECT_EQ(pairwise.render_pairwise("sort: 2 1", "2 1", "1 2"),
            "judge sort: 2 1\nA: 2 1\nB: 1 2\nbetter:");
  // A response that contains a placeholder is inserted as it is.
  EXPECT_EQ(pairwise.render_pairwise("x", "{response_b}", "y"),
            "judge x\nA: {response_b}\nB: y\nbetter:");
  try {
    JudgeTemplate::from_text("judge {instruction} {response_a}", JudgeKind::kPairwise, "bad.txt");
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_STREQ(error.what(), "bad.txt: judge template lacks the placeholder {response_b}");
  }
  const JudgeTemplate pointwise = JudgeTemplate::from_file(
      default_template_dir() + "/world_pointwise.txt", JudgeKind::kPointwise);
  EXPECT_EQ(pointwise.render_pointwise("max: 1 2", "2"), "rate max: 1 2\nanswer: 2\nscore 0-5:");
  // The SRLM additive judge (Yuan et al. 2024) is a pointwise template too.
  const JudgeTemplate srlm = JudgeTemplate::from_file(
      default_template_dir() + "/srlm_pointwise.txt", JudgeKind::kPointwise);
  const std::string rendered = srlm.render_pointwise("Name a prime.", "7");
  EXPECT_NE(rendered.find("User: Name a prime.\n<response>7</response>"), std::string::npos);
  EXPECT_NE(rendered.find("\"Score: <total points>\""), std::string::npos);
}

}  // namespace
}  // namespace scir::world
