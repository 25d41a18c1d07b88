// scir_hpc run on a user's M1 (no embedded world, no oracle) on 2 ranks: the iterations from
// prompt files, SRLM's sampled judge with its parse-failure counts, and the inputs checked
// before any work.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "cli_runner.h"
#include "scir/io/h5_group.h"
#include "scir/io/hf_checkpoint.h"

namespace {

namespace fs = std::filesystem;

// A small random model with the byte tokenizer, `shape` overriding its defaults.
bool init_small_model(const fs::path& directory, const std::string& shape) {
  const CommandResult init =
      run_command(scir_hpc("init --out " + directory.string() + " --model.hidden_size 16 " +
                           "--model.intermediate_size 32 --model.num_hidden_layers 1 " + shape));
  EXPECT_EQ(init.exit_code, 0) << init.out;
  return init.exit_code == 0;
}

struct UserFiles {
  fs::path root, m0, m1, pool1, pool2, heldout, judge;
};

// Two small random models with the byte tokenizer, two prompt pools, labelled pairs and a
// pointwise judge template: what a user brings.
const UserFiles& user_files() {
  static const UserFiles files = [] {
    UserFiles f;
    // One directory a process: CTest runs these tests as separate processes side by side.
    f.root = fs::path(scratch_path("scir_user_model"));
    fs::remove_all(f.root);
    fs::create_directories(f.root);
    f.m0 = f.root / "m0";
    f.m1 = f.root / "m1";
    for (const auto& [dir, seed] : {std::pair{f.m0, 1}, std::pair{f.m1, 2}}) {
      const CommandResult init = run_command(scir_hpc(
          "init --out " + dir.string() + " --seed " + std::to_string(seed) +
          " --model.hidden_size 16 --model.intermediate_size 32 --model.num_hidden_layers 1"));
      EXPECT_EQ(init.exit_code, 0) << init.out;
    }
    f.pool1 = f.root / "pool1.jsonl";
    f.pool2 = f.root / "pool2.jsonl";
    std::ofstream(f.pool1) << "{\"prompt\": \"Name a colour.\"}\n{\"prompt\": \"Say hi.\"}\n"
                              "{\"prompt\": \"Count to 3.\"}\n{\"prompt\": \"Spell cat.\"}\n";
    std::ofstream(f.pool2) << "{\"prompt\": \"Name a fruit.\"}\n{\"prompt\": \"Say bye.\"}\n"
                              "{\"prompt\": \"Add 1 and 2.\"}\n{\"prompt\": \"Spell dog.\"}\n";
    f.heldout = f.root / "heldout.jsonl";
    std::ofstream(f.heldout)
        << "{\"prompt\": \"Say hi.\", \"response_a\": \"hi\", \"response_b\": \"xq\", "
           "\"q_a\": 1, \"q_b\": 0}\n"
           "{\"prompt\": \"Spell cat.\", \"response_a\": \"kat\", \"response_b\": \"cat\", "
           "\"q_a\": 0.3, \"q_b\": 1}\n";
    f.judge = f.root / "judge.txt";
    std::ofstream(f.judge) << "Rate the response.\n{instruction}\n{response}\nScore:\n";
    return f;
  }();
  return files;
}

// The options of a run on the user's files; `m1` and `pools` replace the defaults when given.
std::string user_run(const fs::path& run, const std::string& extra, std::string m1 = "",
                     std::string pools = "") {
  const UserFiles& f = user_files();
  if (m1.empty()) m1 = f.m1.string();
  if (pools.empty()) pools = f.pool1.string() + "," + f.pool2.string();
  return "run --out " + run.string() + " --model.m1 " + m1 + " --data.prompt_pools " + pools +
         " --data.heldout_pairs_file " + f.heldout.string() +
         " --scir.samples 4 --scir.batch_pairs 4 --scir.max_new_tokens 6 --eval.batch_size 8 " +
         extra;
}

TEST(UserModelRunCli, IterationsFromPromptFilesWithoutAnOracle) {
  const fs::path run = fs::path(scratch_path("scir_user_run"));
  fs::remove_all(run);
  const CommandResult result =
      run_command(std::string(SCIR_MPIEXEC) + " " +
                  scir_hpc(user_run(run, "--model.m0 " + user_files().m0.string())));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  EXPECT_FALSE(fs::exists(run / "data"));  // no world
  EXPECT_TRUE(fs::exists(run / "ckpt/iter_2/final/model.safetensors"));
  const std::string h5 = (run / "run.h5").string();
  for (const char* phase : {"/iter_1", "/iter_2"}) {
    const scir::H5Group pairs = scir::read_h5_group(h5, std::string(phase) + "/pairs");
    const size_t rows = pairs.columns.at("prompt_id").size();
    ASSERT_GT(rows, 0u) << phase;
    std::set<double> ranks(pairs.columns.at("rank").begin(), pairs.columns.at("rank").end());
    EXPECT_EQ(ranks, (std::set<double>{0, 1})) << phase;
    for (size_t i = 0; i < rows; ++i) {
      EXPECT_TRUE(std::isnan(pairs.columns.at("oracle_q1")[i])) << phase;  // no oracle
      EXPECT_TRUE(std::isfinite(pairs.columns.at("logp_ref1")[i])) << phase;
      EXPECT_GE(pairs.columns.at("prompt_id")[i], 0);
      EXPECT_LT(pairs.columns.at("prompt_id")[i], 4);
    }
    const scir::H5Group eval = scir::read_h5_group(h5, std::string(phase) + "/eval");
    EXPECT_TRUE(std::isnan(eval.numbers.at("mean_quality"))) << phase;
    EXPECT_TRUE(std::isnan(eval.numbers.at("win_rate_vs_m1"))) << phase;
    // Reward accuracy on the two labelled pairs: 0, 1/2 or 1 credit each.
    for (const char* key : {"acc_grm", "acc_irm"}) {
      const double accuracy = eval.numbers.at(key);
      EXPECT_EQ(std::fmod(accuracy * 4, 1.0), 0.0) << key << " " << accuracy;
      EXPECT_GE(accuracy, 0.0);
      EXPECT_LE(accuracy, 1.0);
    }
  }
}

TEST(UserModelRunCli, SrlmSampledJudgeCountsItsJudgementsAndParseFailures) {
  const fs::path run = fs::path(scratch_path("scir_user_run_srlm"));
  fs::remove_all(run);
  // A random model writes random bytes: a single digit is its "score" here, so some
  // judgements parse and some do not.
  const CommandResult result = run_command(
      std::string(SCIR_MPIEXEC) + " " +
      scir_hpc(user_run(run, std::string("--scir.method srlm --scir.iterations 1 ") +
                                 "--srlm.judge sampled --srlm.judge_samples 2 " +
                                 "--srlm.judge_max_new_tokens 12 --srlm.judge_temperature 1 " +
                                 "--srlm.judge_top_p 1 --srlm.score_regex '([0-9])' " +
                                 "--judge.pointwise_template " + user_files().judge.string())));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  const std::string h5 = (run / "run.h5").string();
  const scir::H5Group eval = scir::read_h5_group(h5, "/iter_1/eval");
  EXPECT_EQ(eval.numbers.at("srlm_judgements"), 4 * 4 * 2);  // prompts x samples x judgements
  EXPECT_GE(eval.numbers.at("srlm_parse_failures"), 0);
  EXPECT_LE(eval.numbers.at("srlm_parse_failures"), 32);
  EXPECT_NE(result.out.find("SRLM judge: 32 sampled judgements, "), std::string::npos)
      << result.out;
  const scir::H5Group pairs = scir::read_h5_group(h5, "/iter_1/pairs");
  const std::vector<double>& prompt_ids = pairs.columns.at("prompt_id");
  // Best against worst: at most one pair a prompt.
  EXPECT_EQ(std::set<double>(prompt_ids.begin(), prompt_ids.end()).size(), prompt_ids.size());
}

// model.adapter: a user's M1 plus their PEFT LoRA adapter. Run A trains a LoRA adapter on the
// user's M1 in its first iteration; run B starts from M1 with that adapter, merged into
// RUN/ckpt/m1_adapted before the iterations: run A's M2 bit for bit. An adapter that does not
// fit M1 is refused before any work, naming its file.
TEST(UserModelRunCli, AUsersAdapterIsMergedIntoM1BeforeTheIterations) {
  const fs::path a = fs::path(scratch_path("scir_user_adapter_a"));
  const fs::path b = fs::path(scratch_path("scir_user_adapter_b"));
  fs::remove_all(a);
  fs::remove_all(b);
  const CommandResult trained =
      run_command(scir_hpc(user_run(a, "--scir.irm_ref current --scir.lora_rank 2")));
  ASSERT_EQ(trained.exit_code, 0) << trained.out;
  const fs::path adapter = a / "ckpt" / "iter_1" / "adapter";
  const CommandResult started = run_command(
      scir_hpc(user_run(b, "--scir.irm_ref current --model.adapter " + adapter.string())));
  ASSERT_EQ(started.exit_code, 0) << started.out;
  EXPECT_NE(started.out.find("[iter_1] reference " + (b / "ckpt" / "m1_adapted").string()),
            std::string::npos)
      << started.out;
  const auto expected =
      scir::load_hf_model((a / "ckpt" / "iter_1" / "final").string()).model->named_weights();
  const auto merged =
      scir::load_hf_model((b / "ckpt" / "m1_adapted").string()).model->named_weights();
  bool adapted = false;
  const auto original = scir::load_hf_model(user_files().m1.string()).model->named_weights();
  for (const auto& [name, weight] : merged) {
    EXPECT_TRUE(torch::equal(weight, expected.at(name))) << name;
    adapted = adapted || !torch::equal(weight, original.at(name));
  }
  EXPECT_TRUE(adapted) << "the adapter changed nothing";
  // The same adapter claiming rank 3: its tensors no longer fit.
  const fs::path wrong = a / "wrong_rank";
  fs::remove_all(wrong);
  fs::copy(adapter, wrong);
  {
    std::ifstream in(wrong / "adapter_config.json");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t at = text.find("\"r\": 2");
    ASSERT_NE(at, std::string::npos) << text;
    text.replace(at, 6, "\"r\": 3");
    std::ofstream(wrong / "adapter_config.json") << text;
  }
  const fs::path refused = fs::path(scratch_path("scir_user_adapter_refused"));
  fs::remove_all(refused);
  const std::pair<std::string, std::string> cases[] = {
      {"--model.adapter " + (a / "none").string(),
       (a / "none").string() + ": not an adapter directory"},
      {"--model.adapter " + wrong.string(),
       (wrong / "adapter_model.safetensors").string() +
           ": base_model.model.model.layers.0.mlp.down_proj.lora_A.weight has shape [2, 32], "
           "expected [3, 32] for this model and rank"},
  };
  for (const auto& [option, message] : cases) {
    const CommandResult result =
        run_command(scir_hpc(user_run(refused, "--scir.irm_ref current " + option)));
    EXPECT_EQ(result.exit_code, 2) << option;
    EXPECT_EQ(result.out, "scir_hpc: error: " + message + "\n") << option;
    EXPECT_FALSE(fs::exists(refused)) << option;
  }
}

TEST(UserModelRunCli, BadInputsAreRefusedBeforeAnyWork) {
  const UserFiles& f = user_files();
  const fs::path run = fs::path(scratch_path("scir_user_run_bad"));
  fs::remove_all(run);
  // A model whose configuration has fewer tokens than its tokenizer.
  const fs::path small_vocab = f.root / "small_vocab";
  fs::remove_all(small_vocab);
  fs::copy(f.m1, small_vocab);
  {
    std::ifstream in(small_vocab / "config.json");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t at = text.find("\"vocab_size\": 259");
    ASSERT_NE(at, std::string::npos) << text;
    text.replace(at, 17, "\"vocab_size\": 258");
    std::ofstream(small_vocab / "config.json") << text;
  }
  const fs::path wide = f.root / "wide_vocab";
  ASSERT_TRUE(init_small_model(wide, "--model.vocab_size 300"));
  const fs::path bad_pool = f.root / "bad_pool.jsonl";
  std::ofstream(bad_pool) << "{\"prompt\": \"ok\"}\n{\"text\": \"no prompt\"}\n";
  const fs::path empty_prompt = f.root / "empty_prompt.jsonl";
  std::ofstream(empty_prompt) << "{\"prompt\": \"ok\"}\n{\"prompt\": \" \"}\n";
  const fs::path same_ids = f.root / "same_ids.jsonl";
  std::ofstream(same_ids) << "{\"id\": \"a\", \"prompt\": \"ok\"}\n{\"id\": 7, \"prompt\": \"x\"}\n"
                             "{\"id\": \"a\", \"prompt\": \"yes\"}\n";
  const fs::path short_context = f.root / "short_context";
  ASSERT_TRUE(init_small_model(short_context, "--model.max_position_embeddings 4"));
  const fs::path long_prompt = f.root / "long_prompt.jsonl";
  std::ofstream(long_prompt) << "{\"prompt\": \"ok\"}\n{\"prompt\": \"" << std::string(600, 'x')
                             << "\"}\n";
  const fs::path no_placeholder = f.root / "no_placeholder.txt";
  std::ofstream(no_placeholder) << "Which is better?\n";
  const std::pair<std::string, std::string> cases[] = {
      {user_run(run, ""),
       "option '--model.m0': expected the base model M0 (the reference of iteration 1 under "
       "scir.irm_ref = previous or first), or scir.irm_ref = current or m1, got ''"},
      {user_run(run, "--scir.irm_ref first"),
       "option '--model.m0': expected the base model M0 (the reference of iteration 1 under "
       "scir.irm_ref = previous or first), or scir.irm_ref = current or m1, got ''"},
      {user_run(run, "--scir.irm_ref current --scir.method oracle"),
       "option '--scir.method': expected not oracle with model.m1 (a user's model has no "
       "oracle), got 'oracle'"},
      {user_run(run, "--model.m0 " + wide.string()),
       "option '--model.m0': expected a model with M1's vocabulary of 259 tokens, got '" +
           wide.string() + "'"},
      {user_run(run, "--scir.irm_ref current", small_vocab.string()),
       small_vocab.string() + ": tokenizer has 259 tokens but config.json vocab_size is 258"},
      {user_run(run, "--scir.irm_ref current", "", f.pool1.string()),
       "option '--data.prompt_pools': expected 2 JSONL prompt file(s), one an iteration, got '" +
           f.pool1.string() + "'"},
      {user_run(run, "--scir.irm_ref current", "", f.pool1.string() + "," + bad_pool.string()),
       bad_pool.string() + ":2: missing field 'prompt'"},
      {user_run(run, "--scir.irm_ref current", "", f.pool1.string() + "," + empty_prompt.string()),
       empty_prompt.string() + ":2: field 'prompt': expected a non-empty text"},
      {user_run(run, "--scir.irm_ref current", "", same_ids.string() + "," + f.pool2.string()),
       same_ids.string() + ":3: field 'id': \"a\" is the id of line 1 too (expected unique ids)"},
      {user_run(run, "--scir.irm_ref current --judge.pairwise_template " + no_placeholder.string()),
       no_placeholder.string() + ": judge template lacks the placeholder {instruction}"},
      // Options that no phase reads are refused, not ignored.
      {user_run(run, "--scir.method srlm --model.m0 " + f.m0.string()),
       "option '--model.m0': expected no value unless M0 is read: it is a reference only under "
       "scir.irm_ref = previous or first with an online method (not srlm or oracle), got '" +
           f.m0.string() + "'"},
      {user_run(run, "--scir.irm_ref m1 --model.m0 " + f.m0.string()),
       "option '--model.m0': expected no value unless M0 is read: it is a reference only under "
       "scir.irm_ref = previous or first with an online method (not srlm or oracle), got '" +
           f.m0.string() + "'"},
      {"run --out " + run.string() + " --model.m1 " + f.m1.string() + " --data.prompt_pools " +
           f.pool1.string() + "," + f.pool2.string() +
           " --scir.irm_ref current --scir.cons_stopgrad reliable",
       "option '--scir.cons_stopgrad': expected not reliable without data.heldout_pairs_file (the "
       "labelled pairs that measure which reward model is more accurate), got 'reliable'"},
      {user_run(run, "--scir.irm_ref current --sft.steps 5"),
       "option '--sft.steps': expected no value with model.m1 (an option of the embedded world "
       "and its seed models), got '5'"},
      {user_run(run, "--scir.irm_ref current --sft.lora_rank 4"),
       "option '--sft.lora_rank': expected no value with model.m1 (an option of the embedded "
       "world and its seed models), got '4'"},
      {user_run(run, "--scir.irm_ref current --finish.method oracle"),
       "option '--finish.method': expected no value with model.m1 (an option of the embedded "
       "world and its seed models), got 'oracle'"},
      {user_run(run, "--scir.irm_ref current --data.corpus 10"),
       "option '--data.corpus': expected no value with model.m1 (an option of the embedded world "
       "and its seed models), got '10'"},
      {user_run(run, "--scir.irm_ref current --model.hidden_size 32"),
       "option '--model.hidden_size': expected no value with model.m1 (an option of the embedded "
       "world and its seed models), got '32'"},
      {user_run(run, "--scir.irm_ref current --world.families sort"),
       "option '--world.families': expected no value with model.m1 (an option of the embedded "
       "world and its seed models), got 'sort'"},
      {user_run(run, "--scir.irm_ref current --srlm.judge_samples 3"),
       "option '--srlm.judge_samples': expected no value unless scir.method = srlm, got '3'"},
      // A prompt that cannot fit M1's context (512 positions) with its response: refused now,
      // not in the generate phase with run.h5 left behind.
      {user_run(run, "--scir.irm_ref current", "", f.pool1.string() + "," + long_prompt.string()),
       long_prompt.string() + ": prompt 2 has 602 tokens; at most 506 fit M1's context of 512 "
                              "with scir.max_new_tokens = 6"},
      {user_run(run, "--scir.irm_ref current", short_context.string()),
       "option '--scir.max_new_tokens': expected at most M1's context of 4 tokens, got '6'"},
  };
  for (const auto& [args, message] : cases) {
    const CommandResult result = run_command(scir_hpc(args));
    EXPECT_EQ(result.exit_code, 2) << args;
    EXPECT_EQ(result.out, "scir_hpc: error: " + message + "\n") << args;
  }
  EXPECT_FALSE(fs::exists(run));
}

}  // namespace
