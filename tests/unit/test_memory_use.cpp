// The process's resident memory as the operating system counts it: 64 MiB written show up in
// it, and the peak is never below what is resident now.
#include <gtest/gtest.h>

#include <vector>

#include "scir/core/memory_use.h"

namespace scir {
namespace {

TEST(MemoryUse, WrittenMemoryIsResidentAndThePeakCoversIt) {
  const int64_t before = resident_bytes();
  EXPECT_GT(before, 0);
  std::vector<char> block(64 << 20, 1);  // written, so its pages are resident
  const int64_t after = resident_bytes();
  EXPECT_GE(after - before, int64_t{60} << 20);
  EXPECT_GE(peak_resident_bytes(), after);
  EXPECT_EQ(block[12345], 1);
}

TEST(MemoryUse, MegabytesAreBinaryWithThreeDigits) {
  EXPECT_EQ(megabytes(1 << 20), "1 MB");
  EXPECT_EQ(megabytes(281344.0), "0.268 MB");
}

}  // namespace
}  // namespace scir
