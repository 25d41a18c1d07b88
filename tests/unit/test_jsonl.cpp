#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "input_error.h"
#include "scir/core/errors.h"
#include "scir/io/jsonl.h"

namespace scir {
namespace {

using testing_support::input_error;

std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + name;
  std::ofstream(path) << text;
  return path;
}

TEST(Jsonl, ReadsObjectsWithLineNumbersSkippingBlankLines) {
  const std::string path =
      write_file("ok.jsonl", "{\"prompt\": \"a\"}\n\n{\"prompt\": \"b\", \"id\": 3}\n");
  const auto records = read_jsonl(path);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].line, 3);
  EXPECT_EQ(string_field(records[1], path, "prompt"), "b");
}

TEST(Jsonl, DefectsNameFileAndLine) {
  const std::string bad = write_file("bad.jsonl", "{\"prompt\": \"a\"}\n{\"prompt\": \n");
  EXPECT_EQ(input_error([&] { read_jsonl(bad); }), bad + ":2: invalid JSON");
  const std::string array = write_file("array.jsonl", "[1, 2]\n");
  EXPECT_EQ(input_error([&] { read_jsonl(array); }), array + ":1: expected a JSON object");
  const std::string empty = write_file("empty.jsonl", "\n\n");
  EXPECT_EQ(input_error([&] { read_jsonl(empty); }),
            empty + ": empty (expected one JSON object a line)");
  const std::string fields = write_file("fields.jsonl", "{\"prompt\": 3, \"ids\": [1, \"x\"]}\n");
  const auto records = read_jsonl(fields);
  EXPECT_EQ(input_error([&] { string_field(records[0], fields, "response"); }),
            fields + ":1: missing field 'response'");
  EXPECT_EQ(input_error([&] { string_field(records[0], fields, "prompt"); }),
            fields + ":1: field 'prompt' must be a string");
  EXPECT_EQ(input_error([&] { ids_field(records[0], fields, "ids"); }),
            fields + ":1: field 'ids' must hold integers");
  EXPECT_EQ(input_error([&] { read_jsonl("/nonexistent.jsonl"); }),
            "/nonexistent.jsonl: cannot open (expected a JSONL file)");
}

TEST(Jsonl, WriterLeavesNothingWithoutCommit) {
  const std::string path = ::testing::TempDir() + "out.jsonl";
  std::filesystem::remove(path);
  {
    JsonlWriter writer(path);
    writer.write({{"a", 1}});
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  {
    JsonlWriter writer(path);
    writer.write({{"a", 1}});
    writer.commit();
  }
  EXPECT_EQ(read_jsonl(path)[0].value["a"], 1);
}

}  // namespace
}  // namespace scir
