#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

#include "scir/core/errors.h"
#include "scir/core/logging.h"

namespace scir {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(Logging, RankZeroWritesTimestampedLinesToMainLog) {
  const std::string path = ::testing::TempDir() + "main_rank0.log";
  std::remove(path.c_str());
  log_set_rank(0, 2);
  log_open_file(path);
  testing::internal::CaptureStdout();
  log_info("iteration 1: generate");
  const std::string console = testing::internal::GetCapturedStdout();
  testing::internal::CaptureStderr();
  log_warn("non-finite loss, step skipped");
  testing::internal::GetCapturedStderr();
  log_close_file();

  const std::regex info(R"(\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] iteration 1: generate\n)");
  EXPECT_TRUE(std::regex_match(console, info)) << console;
  const std::string text = read_all(path);
  const std::regex both(
      R"(\[[^\]]+\] iteration 1: generate\n\[[^\]]+\] \[rank 0/2\] warning: non-finite loss, step skipped\n)");
  EXPECT_TRUE(std::regex_match(text, both)) << text;
}

TEST(Logging, OtherRanksPrintOnlyWarningsAndErrorsWithTheirRank) {
  log_set_rank(1, 2);
  testing::internal::CaptureStdout();
  log_info("should not appear");
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "");
  testing::internal::CaptureStderr();
  log_error("cannot read shard");
  const std::string errors = testing::internal::GetCapturedStderr();
  EXPECT_NE(errors.find("[rank 1/2] error: cannot read shard"), std::string::npos) << errors;
  log_set_rank(0, 1);
}

TEST(Logging, UnwritableLogIsAnInputError) {
  log_set_rank(0, 1);
  EXPECT_THROW(log_open_file("/nonexistent/dir/main.log"), InputError);
}

}  // namespace
}  // namespace scir

namespace scir {
namespace {

TEST(Logging, DurationsForProgressLines) {
  EXPECT_EQ(format_duration(0.2), "0s");
  EXPECT_EQ(format_duration(42.4), "42s");
  EXPECT_EQ(format_duration(187), "3m07s");
  EXPECT_EQ(format_duration(600), "10m00s");
}

}  // namespace
}  // namespace scir
