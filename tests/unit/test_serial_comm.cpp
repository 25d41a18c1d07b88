#include <gtest/gtest.h>

#include "scir/dist/agreement.h"
#include "scir/dist/serial_comm.h"

namespace scir {
namespace {

TEST(SerialComm, CollectivesAreTheIdentity) {
  SerialComm comm;
  auto values = torch::tensor({1.5, -2.0});
  comm.all_reduce(values, ReduceOp::kAverage);
  EXPECT_TRUE(torch::equal(values, torch::tensor({1.5, -2.0})));
  comm.broadcast(values, 0);
  EXPECT_TRUE(torch::equal(values, torch::tensor({1.5, -2.0})));
  const auto gathered = comm.all_gather(values);
  EXPECT_EQ(gathered.sizes(), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(all_gather_strings(comm, "abc"), std::vector<std::string>{"abc"});
  EXPECT_DOUBLE_EQ(all_reduce_scalar(comm, 4.25, ReduceOp::kSum), 4.25);
  EXPECT_EQ(comm.split(3, 0)->size(), 1);
  EXPECT_TRUE(torch::equal(comm.reduce_scatter(values, ReduceOp::kSum), values));
}

TEST(SerialComm, AverageOfIntegersIsRefused) {
  SerialComm comm;
  auto counts = torch::tensor({1, 2}, torch::kLong);
  EXPECT_THROW(comm.all_reduce(counts, ReduceOp::kAverage), InternalError);
  EXPECT_THROW(comm.reduce_scatter(counts, ReduceOp::kAverage), InternalError);
}

TEST(Agreement, FailureBecomesAgreedErrorWithItsExitCode) {
  SerialComm comm;
  EXPECT_NO_THROW(agree_or_throw(comm, [] {}));
  try {
    agree_or_throw(comm, [] { throw InputError("x.ini: unknown option 'a.b'"); });
    FAIL() << "expected an AgreedError";
  } catch (const AgreedError& error) {
    EXPECT_EQ(error.exit_code(), 2);
    EXPECT_STREQ(error.what(), "x.ini: unknown option 'a.b'");
  }
}

}  // namespace
}  // namespace scir
