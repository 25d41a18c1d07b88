// scir_hpc export --format alpaca_eval: AlpacaEval's JSON list, in prompt order, whose outputs
// are the model's greedy responses (the same as generate --greedy gives).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_runner.h"

namespace {

namespace fs = std::filesystem;

TEST(ExportCli, AlpacaEvalListOfGreedyOutputsInPromptOrder) {
  const fs::path root = fs::path(scratch_path("scir_export"));
  fs::remove_all(root);
  fs::create_directories(root);
  const fs::path model = root / "m2";
  ASSERT_EQ(run_command(scir_hpc("init --out " + model.string() +
                                 " --model.hidden_size 16 --model.intermediate_size 32 "
                                 "--model.num_hidden_layers 1"))
                .exit_code,
            0);
  const fs::path prompts = root / "prompts.jsonl";
  std::ofstream(prompts) << "{\"id\": 0, \"prompt\": \"Say hi.\"}\n"
                            "{\"id\": 1, \"prompt\": \"Name a colour.\"}\n"
                            "{\"id\": 2, \"prompt\": \"Count to 3.\"}\n";
  const fs::path out = root / "outputs.json";
  const CommandResult exported = run_command(
      std::string(SCIR_MPIEXEC) + " " +
      scir_hpc("export --model " + model.string() + " --prompts " + prompts.string() +
               " --output " + out.string() + " --max-new-tokens 6 --chat-template plain"));
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  std::ifstream file(out);
  const nlohmann::json list = nlohmann::json::parse(file);
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), 3u);
  const CommandResult greedy =
      run_command(scir_hpc("generate --greedy --model " + model.string() + " --input " +
                           prompts.string() + " --max-new-tokens 6 --chat-template plain"));
  ASSERT_EQ(greedy.exit_code, 0) << greedy.out;
  std::istringstream lines(greedy.out);
  const char* instructions[] = {"Say hi.", "Name a colour.", "Count to 3."};
  for (size_t i = 0; i < 3; ++i) {
    std::string line;
    std::getline(lines, line);
    const nlohmann::json generated = nlohmann::json::parse(line);
    EXPECT_EQ(list[i]["instruction"], instructions[i]);
    EXPECT_EQ(list[i]["output"], generated["response"]);
    EXPECT_EQ(list[i]["generator"], "m2");
  }
  const CommandResult bad = run_command(scir_hpc(
      "export --model " + model.string() + " --prompts " + prompts.string() + " --format arena"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.out, "scir_hpc: error: option '--format': expected alpaca_eval, got 'arena'\n");
}

}  // namespace
