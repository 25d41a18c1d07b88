#include <gtest/gtest.h>

#include <c10/util/Exception.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>

#include "scir/core/checked_arithmetic.h"
#include "scir/core/errors.h"

namespace scir {
namespace {

TEST(ErrorReport, InputErrorIsExitCodeTwo) {
  const ErrorReport report = report_for(InputError("prompts.jsonl:3: expected field 'prompt'"));
  EXPECT_EQ(report.exit_code, 2);
  EXPECT_EQ(report.message, "prompts.jsonl:3: expected field 'prompt'");
}

TEST(ErrorReport, OtherErrorsAreInternalAndOneLine) {
  const ErrorReport report = report_for(std::runtime_error("first\nsecond"));
  EXPECT_EQ(report.exit_code, 1);
  EXPECT_EQ(report.message, "internal: first second");
}

TEST(ErrorReport, TorchErrorsLoseTheirBacktrace) {
  try {
    torch::ones({2, 3}).matmul(torch::ones({2, 3}));
    FAIL() << "expected LibTorch to throw";
  } catch (const c10::Error& error) {
    const ErrorReport report = report_for(error);
    EXPECT_EQ(report.exit_code, 1);
    EXPECT_EQ(report.message.find("frame #"), std::string::npos);
    EXPECT_NE(report.message.find("mat1 and mat2 shapes cannot be multiplied"), std::string::npos);
  }
}

// A path that cannot be created or renamed is the user's to fix: exit 2 naming it, never
// "internal: filesystem error".
TEST(ErrorReport, FileSystemErrorsNameThePathAsBadInput) {
  const std::filesystem::path file = std::filesystem::path(testing::TempDir()) / "scir_plain_file";
  std::ofstream(file) << "x";
  try {
    std::filesystem::create_directories(file / "run");
    FAIL() << "expected a filesystem_error";
  } catch (const std::filesystem::filesystem_error& error) {
    const ErrorReport report = report_for(error);
    EXPECT_EQ(report.exit_code, 2);
    EXPECT_EQ(report.message.rfind((file / "run").string() + ": cannot create directories", 0), 0u)
        << report.message;
    EXPECT_EQ(report.message.find("internal"), std::string::npos) << report.message;
  }
}

TEST(CheckedArithmetic, ProductsAndSumsThatLeave64BitsAreNone) {
  EXPECT_EQ(checked_product(uint64_t{1} << 32, uint64_t{1} << 31), uint64_t{1} << 63);
  EXPECT_FALSE(checked_product(uint64_t{1} << 32, uint64_t{1} << 32));
  EXPECT_FALSE(checked_product({uint64_t{4}, uint64_t{1} << 62, uint64_t{0}}));  // wraps first
  EXPECT_EQ(checked_product({uint64_t{3}, uint64_t{5}, uint64_t{7}}), uint64_t{105});
  EXPECT_FALSE(checked_sum(~uint64_t{0}, 1));
  EXPECT_EQ(checked_sum(2, 3), uint64_t{5});
}

TEST(Cat, JoinsStreamableParts) { EXPECT_EQ(cat("step ", 3, ": ", 0.5), "step 3: 0.5"); }

}  // namespace
}  // namespace scir
