#include <gtest/gtest.h>

#include <c10/util/Exception.h>
#include <torch/torch.h>

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

TEST(Cat, JoinsStreamableParts) { EXPECT_EQ(cat("step ", 3, ": ", 0.5), "step 3: 0.5"); }

}  // namespace
}  // namespace scir
