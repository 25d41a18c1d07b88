// scir_hpc tokenize on SmolLM2's real tokenizer.json: the ids the tokenizers package and
// transformers' apply_chat_template give (tests/fixtures/tokenizers/reference_ids.json), and
// bad input refused in one line with no output file.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_runner.h"

namespace {

namespace fs = std::filesystem;
const std::string kTokenizers = std::string(SCIR_SOURCE_DIR) + "/tests/fixtures/tokenizers";

nlohmann::json reference() {
  std::ifstream in(kTokenizers + "/reference_ids.json");
  return nlohmann::json::parse(in);
}

std::vector<nlohmann::json> lines_of(const std::string& text) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] == '{') lines.push_back(nlohmann::json::parse(line));
  return lines;
}

std::string write_input(const std::string& name, const std::vector<nlohmann::json>& rows) {
  const std::string path = scratch_path(name);
  std::ofstream out(path);
  for (const nlohmann::json& row : rows) out << row.dump() << "\n";
  return path;
}

TEST(TokenizeCli, TextsAndChatPromptsGiveTheReferenceIds) {
  const nlohmann::json expected = reference();
  std::vector<nlohmann::json> rows;
  for (const nlohmann::json& item : expected["variants"]["smollm2"]["cases"])
    rows.push_back({{"prompt", item["text"]}});
  const std::string input = write_input("tokenize_texts.jsonl", rows);
  const CommandResult plain = run_command(
      scir_hpc("tokenize --tokenizer " + kTokenizers + "/smollm2 --field prompt --input " + input));
  ASSERT_EQ(plain.exit_code, 0) << plain.out;
  const std::vector<nlohmann::json> lines = lines_of(plain.out);
  ASSERT_EQ(lines.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const nlohmann::json& item = expected["variants"]["smollm2"]["cases"][i];
    EXPECT_EQ(lines[i]["ids"], item["ids"]) << item["text"];
    EXPECT_EQ(lines[i]["decoded"], item["decoded"]) << item["text"];
    EXPECT_EQ(lines[i]["prompt"], item["text"]);  // the input line comes back
  }
  rows.clear();
  for (const nlohmann::json& item : expected["chat"]["smollm2"])
    rows.push_back({{"text", item["user"]}});
  const std::string chat_input = write_input("tokenize_chat.jsonl", rows);
  const CommandResult chat =
      run_command(scir_hpc("tokenize --tokenizer " + kTokenizers +
                           "/smollm2 --chat-template model --input " + chat_input));
  ASSERT_EQ(chat.exit_code, 0) << chat.out;
  const std::vector<nlohmann::json> chat_lines = lines_of(chat.out);
  ASSERT_EQ(chat_lines.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    EXPECT_EQ(chat_lines[i]["ids"], expected["chat"]["smollm2"][i]["ids"]) << rows[i];
}

TEST(TokenizeCli, BadInputIsOneLineAndNoOutput) {
  const std::string input = write_input("tokenize_bad.jsonl", {{{"text", "fine"}}, {{"txt", "x"}}});
  const std::string output = scratch_path("tokenize_bad_out.jsonl");
  fs::remove(output);
  const CommandResult missing = run_command(scir_hpc(
      "tokenize --tokenizer " + kTokenizers + "/smollm2 --input " + input + " --output " + output));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.out, "scir_hpc: error: " + input + ":2: missing field 'text'\n");
  EXPECT_FALSE(fs::exists(output));
  const CommandResult no_tokenizer =
      run_command(scir_hpc("tokenize --tokenizer " + kTokenizers + " --input " + input));
  EXPECT_EQ(no_tokenizer.exit_code, 2);
  EXPECT_EQ(std::count(no_tokenizer.out.begin(), no_tokenizer.out.end(), '\n'), 1)
      << no_tokenizer.out;
}

}  // namespace
