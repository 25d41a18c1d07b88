// score, generate and init driven through the binary, checked against the library.
#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_runner.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/model/generation.h"
#include "scir/model/sequence_logprobs.h"

namespace {

namespace fs = std::filesystem;

class ModelCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // One directory a process: ctest may run these tests in parallel processes.
    directory_ = new fs::path(scratch_path("scir_model_cli"));
    fs::remove_all(*directory_);
    fs::create_directories(*directory_);
    const CommandResult init =
        run_command(scir_hpc("init --out " + model() +
                             " --seed 11 --model.hidden_size 32 "
                             "--model.intermediate_size 48 --model.num_hidden_layers 2 "
                             "--model.num_attention_heads 4 --model.num_key_value_heads 2"));
    ASSERT_EQ(init.exit_code, 0) << init.out;
  }
  static void TearDownTestSuite() {
    fs::remove_all(*directory_);
    delete directory_;
  }
  static std::string model() { return (*directory_ / "model").string(); }
  static std::string file(const std::string& name, const std::string& text) {
    const std::string path = (*directory_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
  static std::vector<nlohmann::json> lines_of(const std::string& text) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line[0] == '{') lines.push_back(nlohmann::json::parse(line));
    }
    return lines;
  }
  static fs::path* directory_;
};
fs::path* ModelCli::directory_ = nullptr;

TEST_F(ModelCli, ScoreOnTwoRanksEqualsLibraryLogProbs) {
  const std::string input =
      file("score.jsonl",
           "{\"prompt\": \"sort: 3 1 2\\n\", \"response\": \"1 2 3\"}\n"
           "{\"prompt_ids\": [256, 97, 98], \"response_ids\": [99, 100, 257]}\n"
           "{\"prompt\": \"x\", \"response\": \"\"}\n");
  const std::string output = (*directory_ / "scored.jsonl").string();
  const CommandResult result =
      run_command(std::string(SCIR_MPIEXEC) + " " +
                  scir_hpc("score --model " + model() + " --input " + input + " --output " +
                           output + " --batch-size 2"));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  std::ifstream scored(output);
  std::stringstream text;
  text << scored.rdbuf();
  const auto lines = lines_of(text.str());
  ASSERT_EQ(lines.size(), 3u);

  scir::LoadedModel loaded = scir::load_hf_model(model());
  torch::NoGradGuard no_grad;
  std::vector<int64_t> prompt{256};
  for (char c : std::string("sort: 3 1 2\n")) prompt.push_back(static_cast<unsigned char>(c));
  const std::vector<scir::PromptResponse> expected_batch = {
      {prompt, {'1', ' ', '2', ' ', '3'}}, {{256, 97, 98}, {99, 100, 257}}, {{256, 'x'}, {}}};
  const auto expected = scir::response_logprobs(*loaded.model, expected_batch, 258);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(lines[i]["logp"].get<double>(), expected.sum[i].item<double>(), 1e-5) << i;
    EXPECT_EQ(lines[i]["n_tokens"].get<int64_t>(), expected.lengths[i]);
    double total = 0;
    for (double token : lines[i]["token_logps"]) total += token;
    EXPECT_NEAR(total, lines[i]["logp"].get<double>(), 1e-5);
  }
  EXPECT_EQ(lines[1]["prompt_ids"], nlohmann::json({256, 97, 98}));  // input fields echoed
  EXPECT_EQ(lines[2]["logp"].get<double>(), 0.0);
}

// A model whose vocabulary of 260 (the bytes' 259 and one unused) splits over 2 ranks.
std::string even_vocabulary_model(const fs::path& directory) {
  const std::string even = (directory / "even_vocab").string();
  if (!fs::exists(even)) {
    const CommandResult init =
        run_command(scir_hpc("init --out " + even +
                             " --seed 5 --model.hidden_size 32 --model.intermediate_size 48 "
                             "--model.num_hidden_layers 2 --model.num_attention_heads 4 "
                             "--model.num_key_value_heads 2 --model.vocab_size 260"));
    EXPECT_EQ(init.exit_code, 0) << init.out;
  }
  return even;
}

TEST_F(ModelCli, GenerateWithTensorParallelTwoEqualsOneRank) {
  const std::string even = even_vocabulary_model(*directory_);
  const std::string input = file("generate_tp.jsonl",
                                 "{\"id\": \"a\", \"prompt\": \"sort: 3 1 2\"}\n"
                                 "{\"id\": \"b\", \"prompt\": \"max: 4 9\"}\n");
  for (const std::string mode : {"--greedy", "--n 2 --temperature 1 --top-p 0.9 --seed 3"}) {
    const std::string common = "generate --model " + even + " --input " + input +
                               " --max-new-tokens 8 " + mode + " --output ";
    const std::string one = (*directory_ / "generated_one.jsonl").string();
    const std::string two = (*directory_ / "generated_tp2.jsonl").string();
    ASSERT_EQ(run_command(scir_hpc(common + one)).exit_code, 0);
    const CommandResult result =
        run_command(std::string(SCIR_MPIEXEC) + " " + scir_hpc(common + two + " --tp 2"));
    ASSERT_EQ(result.exit_code, 0) << result.out;
    std::ifstream a(one), b(two);
    std::stringstream text_a, text_b;
    text_a << a.rdbuf();
    text_b << b.rdbuf();
    EXPECT_FALSE(text_a.str().empty());
    EXPECT_EQ(text_b.str(), text_a.str()) << mode;
  }
}

TEST_F(ModelCli, ScoreWithTensorParallelTwoEqualsOneRank) {
  const std::string even = even_vocabulary_model(*directory_);
  const std::string input = file("score_tp.jsonl",
                                 "{\"prompt\": \"sort: 3 1 2\\n\", \"response\": \"1 2 3\"}\n"
                                 "{\"prompt\": \"max: 4 9\", \"response\": \"9\"}\n"
                                 "{\"prompt\": \"x\", \"response\": \"yz\"}\n");
  const std::string one = (*directory_ / "scored_one.jsonl").string();
  const std::string two = (*directory_ / "scored_tp2.jsonl").string();
  const std::string common = "score --model " + even + " --input " + input + " --batch-size 2";
  ASSERT_EQ(run_command(scir_hpc(common + " --output " + one)).exit_code, 0);
  const CommandResult result =
      run_command(std::string(SCIR_MPIEXEC) + " " + scir_hpc(common + " --tp 2 --output " + two));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  std::ifstream a(one), b(two);
  std::stringstream text_a, text_b;
  text_a << a.rdbuf();
  text_b << b.rdbuf();
  const auto lines_one = lines_of(text_a.str()), lines_two = lines_of(text_b.str());
  ASSERT_EQ(lines_one.size(), 3u);
  ASSERT_EQ(lines_two.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(lines_two[i]["logp"].get<double>(), lines_one[i]["logp"].get<double>(), 1e-5) << i;
    EXPECT_NE(lines_one[i]["logp"].get<double>(), 0.0);
  }
  // A tensor-parallel size that does not divide the heads (or the ranks) is refused by name.
  const CommandResult odd = run_command(
      std::string(SCIR_MPIEXEC) + " " +
      scir_hpc("score --model " + model() + " --input " + input + " --output " + two + " --tp 2"));
  EXPECT_EQ(odd.exit_code, 2);
  EXPECT_EQ(odd.out,
            "scir_hpc: error: tensor parallelism over 2 ranks needs vocab_size (259) to be a "
            "multiple of 2\n");
  const CommandResult three = run_command(scir_hpc(common + " --tp 3 --output " + two));
  EXPECT_EQ(three.exit_code, 2);
  EXPECT_EQ(three.out,
            "scir_hpc: error: option '--tp': expected a divisor of the 1 ranks, got '3'\n");
}

TEST_F(ModelCli, GenerateIsTheSameOnOneAndTwoRanksAndGreedyMatchesLibrary) {
  const std::string input = file("prompts.jsonl",
                                 "{\"id\": 0, \"prompt\": \"add: 12+5=\"}\n"
                                 "{\"id\": \"b\", \"prompt\": \"reverse: abc\"}\n"
                                 "{\"id\": 7, \"prompt_ids\": [256, 65]}\n");
  const std::string sampled = "generate --model " + model() + " --input " + input +
                              " --n 3 --temperature 1.0 --top-p 0.95 --max-new-tokens 6 --seed 5";
  const CommandResult one = run_command(scir_hpc(sampled + " --batch-size 4"));
  const CommandResult two =
      run_command(std::string(SCIR_MPIEXEC) + " " + scir_hpc(sampled + " --batch-size 2"));
  ASSERT_EQ(one.exit_code, 0) << one.out;
  ASSERT_EQ(two.exit_code, 0) << two.out;
  const auto one_lines = lines_of(one.out);
  ASSERT_EQ(one_lines.size(), 9u);
  EXPECT_EQ(one_lines, lines_of(two.out));
  EXPECT_EQ(one_lines[4]["id"], "b");
  EXPECT_EQ(one_lines[4]["sample"], 1);

  const CommandResult greedy = run_command(scir_hpc("generate --model " + model() + " --input " +
                                                    input + " --greedy --max-new-tokens 5"));
  ASSERT_EQ(greedy.exit_code, 0) << greedy.out;
  const auto greedy_lines = lines_of(greedy.out);
  ASSERT_EQ(greedy_lines.size(), 3u);
  scir::LoadedModel loaded = scir::load_hf_model(model());
  scir::SamplingOptions options;
  options.greedy = true;
  options.max_new_tokens = 5;
  const auto expected = scir::generate(*loaded.model, {{{256, 65}, 7, 0}}, options, {257}, 258);
  EXPECT_EQ(greedy_lines[2]["response_ids"].get<std::vector<int64_t>>(), expected[0]);
}

TEST_F(ModelCli, ShardedInitLoadsAndBadInputsExitTwoNamingTheProblem) {
  const std::string sharded = (*directory_ / "sharded").string();
  const CommandResult init =
      run_command(scir_hpc("init --out " + sharded + " --shard-bytes 20000"));
  ASSERT_EQ(init.exit_code, 0) << init.out;
  EXPECT_TRUE(fs::exists(sharded + "/model.safetensors.index.json"));
  EXPECT_NO_THROW(scir::load_hf_model(sharded));

  const auto expect_error = [&](const std::string& args, const std::string& message) {
    const CommandResult result = run_command(scir_hpc(args));
    EXPECT_EQ(result.exit_code, 2) << args << "\n" << result.out;
    EXPECT_EQ(result.out, "scir_hpc: error: " + message + "\n") << args;
  };
  const std::string malformed =
      file("malformed.jsonl", "{\"prompt\": \"a\", \"response\": \"b\"}\n{oops\n");
  expect_error("score --model " + model() + " --input " + malformed,
               malformed + ":2: invalid JSON");
  const std::string missing = file("missing.jsonl", "{\"prompt\": \"a\"}\n");
  expect_error("score --model " + model() + " --input " + missing,
               missing + ":1: missing field 'response' (or 'response_ids')");
  const std::string empty = file("empty.jsonl", "");
  expect_error("generate --model " + model() + " --input " + empty,
               empty + ": empty (expected one JSON object a line)");
  const std::string outside = file("outside.jsonl", "{\"id\": 1, \"prompt_ids\": [1, 999]}\n");
  expect_error("generate --model " + model() + " --input " + outside,
               outside + ":1: field 'prompt_ids' holds id 999 outside the vocabulary of 259");
  expect_error("score --model /nonexistent --input " + missing,
               "/nonexistent: not a model directory");
  expect_error("generate --model " + model() + " --input " + missing + " --top-p 1.5",
               "option '--top-p': expected a number in (0, 1], got '1.5'");
  expect_error(
      "init --out " + sharded + " --model.num_key_value_heads 3",
      "[model] options: num_attention_heads (4) must be a multiple of num_key_value_heads (3)");
  // Counts near the integer limits are refused before anything is sized by them.
  const std::string prompt = file("prompt.jsonl", "{\"prompt\": \"a\"}\n");
  expect_error("generate --model " + model() + " --input " + prompt + " --n 99999999999",
               "option '--n': expected an integer in [1, 1000000], got '99999999999'");
  std::string many;
  for (int i = 0; i < 3000; ++i) many += "{\"id\": " + std::to_string(i) + ", \"prompt\": \"p\"}\n";
  const std::string prompts = file("many.jsonl", many);
  expect_error("generate --model " + model() + " --input " + prompts + " --n 1000000",
               "option '--n': expected at most 715827 for the 3000 prompts (2^31 - 1 samples in "
               "all), got '1000000'");
  expect_error(
      "generate --model " + model() + " --input " + prompt + " --max-new-tokens 99999999999",
      "option '--max-new-tokens': expected at most the model's context of 512 tokens, "
      "got '99999999999'");
  // Outputs that cannot be written are named before the model runs.
  expect_error(
      "generate --model " + model() + " --input " + prompt + " --output " + directory_->string(),
      directory_->string() + ": is a directory, not a file");
  const std::string plain = file("plain.txt", "x");
  expect_error(
      "score --model " + model() + " --input " + missing + " --output " + plain + "/out.jsonl",
      plain + "/out.jsonl: its directory " + plain + " does not exist");
  expect_error("init --out " + plain + "/model",
               plain + "/model: cannot create " + plain + " (Not a directory)");
  // Nothing partial is left behind by a failed command.
  expect_error("score --model " + model() + " --input " + malformed + " --output " +
                   (*directory_ / "never.jsonl").string(),
               malformed + ":2: invalid JSON");
  EXPECT_FALSE(fs::exists(*directory_ / "never.jsonl"));
}

// A model directory without a tokenizer: token ids score and generate as with one, the same
// numbers; text is refused naming the directory, and so is a run that needs text.
TEST_F(ModelCli, TokenIdsNeedNoTokenizer) {
  const fs::path bare = *directory_ / "no_tokenizer";
  fs::remove_all(bare);
  fs::copy(model(), bare);
  ASSERT_TRUE(fs::remove(bare / "scir_tokenizer.json"));
  const std::string ids = file("ids.jsonl",
                               "{\"prompt_ids\": [256, 72, 105], \"response_ids\": [33, 257]}\n"
                               "{\"prompt_ids\": [256, 65], \"response_ids\": [66, 67, 257]}\n");
  const CommandResult with = run_command(scir_hpc("score --model " + model() + " --input " + ids));
  const CommandResult without =
      run_command(scir_hpc("score --model " + bare.string() + " --input " + ids));
  ASSERT_EQ(with.exit_code, 0) << with.out;
  ASSERT_EQ(without.exit_code, 0) << without.out;
  EXPECT_EQ(without.out, with.out);
  const std::string prompts = file("id_prompts.jsonl", "{\"id\": 1, \"prompt_ids\": [256, 72]}\n");
  const CommandResult generated =
      run_command(scir_hpc("generate --model " + bare.string() + " --input " + prompts +
                           " --greedy --max-new-tokens 5"));
  ASSERT_EQ(generated.exit_code, 0) << generated.out;
  const std::vector<nlohmann::json> lines = lines_of(generated.out);
  ASSERT_EQ(lines.size(), 1u) << generated.out;
  EXPECT_FALSE(lines[0].contains("response"));  // no text without a tokenizer
  const CommandResult reference = run_command(scir_hpc("generate --model " + model() + " --input " +
                                                       prompts + " --greedy --max-new-tokens 5"));
  EXPECT_EQ(lines[0]["response_ids"], lines_of(reference.out).at(0)["response_ids"]);
  const std::string text = file("text.jsonl", "{\"prompt\": \"a\", \"response\": \"b\"}\n");
  const CommandResult refused =
      run_command(scir_hpc("score --model " + bare.string() + " --input " + text));
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_EQ(refused.out, "scir_hpc: error: " + bare.string() +
                             ": no tokenizer (expected tokenizer.model, tokenizer.json or "
                             "scir_tokenizer.json), so text cannot be used: give token ids "
                             "(prompt_ids, response_ids) instead\n");
  const std::string pool = file("pool.jsonl", "{\"prompt\": \"a\"}\n");
  const CommandResult run = run_command(scir_hpc(
      "run --out " + (*directory_ / "never_run").string() + " --model.m1 " + bare.string() +
      " --scir.irm_ref current --scir.iterations 1 --data.prompt_pools " + pool));
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_EQ(run.out,
            "scir_hpc: error: option '--model.m1': expected a model directory with a "
            "tokenizer (the iterations' prompts and judge prompts are text), got '" +
                bare.string() + "'\n");
  EXPECT_FALSE(fs::exists(*directory_ / "never_run"));
}

}  // namespace
