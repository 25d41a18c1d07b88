// Every collective of MpiComm on 2 ranks, checked for exact values.
#include <gtest/gtest.h>

#include "scir/dist/agreement.h"
#include "scir/dist/mpi_comm.h"

namespace scir {
namespace {

class MpiCommTest : public ::testing::Test {
 protected:
  void SetUp() override {
    comm = MpiComm::world();
    ASSERT_EQ(comm->size(), 2) << "run these tests under mpiexec -n 2";
  }
  std::unique_ptr<MpiComm> comm;
};

TEST_F(MpiCommTest, AllReduceFloat32SumAverageMaxMin) {
  const float r = static_cast<float>(comm->rank());
  auto sum = torch::tensor({1.0f + r, -2.0f * r, 0.5f});
  comm->all_reduce(sum, ReduceOp::kSum);
  EXPECT_TRUE(torch::equal(sum, torch::tensor({3.0f, -2.0f, 1.0f})));
  auto average = torch::tensor({1.0f + r, 4.0f * r});
  comm->all_reduce(average, ReduceOp::kAverage);
  EXPECT_TRUE(torch::equal(average, torch::tensor({1.5f, 2.0f})));
  auto most = torch::tensor({r, -r});
  comm->all_reduce(most, ReduceOp::kMax);
  EXPECT_TRUE(torch::equal(most, torch::tensor({1.0f, 0.0f})));
  auto least = torch::tensor({r, -r});
  comm->all_reduce(least, ReduceOp::kMin);
  EXPECT_TRUE(torch::equal(least, torch::tensor({0.0f, -1.0f})));
}

TEST_F(MpiCommTest, AllReduceFloat64AndInt64Exactly) {
  auto doubles = torch::tensor({1e-300 * (comm->rank() + 1), 0.1}, torch::kFloat64);
  comm->all_reduce(doubles, ReduceOp::kSum);
  EXPECT_EQ(doubles[0].item<double>(), 1e-300 + 2e-300);
  EXPECT_EQ(doubles[1].item<double>(), 0.1 + 0.1);
  const int64_t big = int64_t{1} << 40;
  auto longs = torch::tensor({big + comm->rank(), int64_t{-7}}, torch::kLong);
  comm->all_reduce(longs, ReduceOp::kSum);
  EXPECT_EQ(longs[0].item<int64_t>(), 2 * big + 1);
  EXPECT_EQ(longs[1].item<int64_t>(), -14);
  auto integers = torch::tensor({3}, torch::kLong);
  EXPECT_THROW(comm->all_reduce(integers, ReduceOp::kAverage), InternalError);
}

TEST_F(MpiCommTest, AllReduceNonContiguousTensorInPlace) {
  // A transposed view: the result must land in the caller's view, in the right places.
  auto base = torch::arange(6, torch::kFloat).reshape({2, 3}) * (comm->rank() + 1);
  auto view = base.t();
  ASSERT_FALSE(view.is_contiguous());
  comm->all_reduce(view, ReduceOp::kSum);
  EXPECT_TRUE(torch::equal(base, torch::arange(6, torch::kFloat).reshape({2, 3}) * 3));
}

TEST_F(MpiCommTest, AllReduceBFloat16TravelsAsFloat) {
  auto values = torch::tensor({1.0f, 2.5f}).to(torch::kBFloat16);
  comm->all_reduce(values, ReduceOp::kSum);
  EXPECT_EQ(values.scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(torch::equal(values.to(torch::kFloat), torch::tensor({2.0f, 5.0f})));
}

TEST_F(MpiCommTest, BroadcastFromEitherRoot) {
  for (int root = 0; root < 2; ++root) {
    auto values = torch::full({4}, static_cast<double>(comm->rank() * 10 + 1), torch::kFloat64);
    comm->broadcast(values, root);
    EXPECT_TRUE(torch::equal(values, torch::full({4}, root * 10.0 + 1, torch::kFloat64)));
  }
}

TEST_F(MpiCommTest, AllGatherEqualShapes) {
  auto mine = torch::tensor({comm->rank() * 2, comm->rank() * 2 + 1}, torch::kInt);
  const auto gathered = comm->all_gather(mine);
  EXPECT_TRUE(torch::equal(gathered, torch::tensor({0, 1, 2, 3}, torch::kInt).reshape({2, 2})));
}

TEST_F(MpiCommTest, AllGatherVariedUnevenRows) {
  // Rank 0 sends 1 row, rank 1 sends 3 rows, of 2 columns each.
  const int64_t rows = comm->rank() == 0 ? 1 : 3;
  auto mine = torch::arange(rows * 2, torch::kFloat64).reshape({rows, 2}) + 100 * comm->rank();
  const auto parts = comm->all_gather_varied(mine);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_TRUE(torch::equal(parts[0], torch::tensor({0.0, 1.0}, torch::kFloat64).reshape({1, 2})));
  EXPECT_TRUE(torch::equal(parts[1], torch::arange(6, torch::kFloat64).reshape({3, 2}) + 100));
}

TEST_F(MpiCommTest, AllGatherVariedWithAnEmptyRank) {
  const int64_t rows = comm->rank() == 0 ? 0 : 2;
  auto mine = torch::full({rows, 3}, 7, torch::kLong);
  const auto parts = comm->all_gather_varied(mine);
  EXPECT_EQ(parts[0].sizes(), (std::vector<int64_t>{0, 3}));
  EXPECT_TRUE(torch::equal(parts[1], torch::full({2, 3}, 7, torch::kLong)));
}

TEST_F(MpiCommTest, AllGatherStringsOfDifferentLengths) {
  const auto texts = all_gather_strings(*comm, comm->rank() == 0 ? "" : "rank one says hi");
  EXPECT_EQ(texts, (std::vector<std::string>{"", "rank one says hi"}));
}

TEST_F(MpiCommTest, SplitIntoSingletonsAndReorderedGroups) {
  auto alone = comm->split(/*color=*/comm->rank(), /*key=*/0);
  EXPECT_EQ(alone->size(), 1);
  EXPECT_EQ(alone->rank(), 0);
  auto solo_sum = torch::tensor({comm->rank() + 1.0});
  alone->all_reduce(solo_sum, ReduceOp::kSum);
  EXPECT_EQ(solo_sum.item<double>(), comm->rank() + 1.0);

  // Same color, keys reversed: world rank 1 becomes rank 0 of the new group.
  auto reversed = comm->split(/*color=*/0, /*key=*/1 - comm->rank());
  EXPECT_EQ(reversed->size(), 2);
  EXPECT_EQ(reversed->rank(), 1 - comm->rank());
  auto values = torch::tensor({static_cast<double>(comm->rank())}, torch::kFloat64);
  reversed->broadcast(values, 0);  // root 0 of the group is world rank 1
  EXPECT_EQ(values.item<double>(), 1.0);
}

TEST_F(MpiCommTest, ReduceScatterEqualsTheAllReducedChunkForOddLengths) {
  for (int64_t length : {1, 2, 7, 10}) {
    // Rank r holds (r + 1) * (i + 1): the sum is 3 (i + 1), the average 1.5 (i + 1).
    const torch::Tensor mine =
        torch::arange(1, length + 1, torch::kDouble) * static_cast<double>(comm->rank() + 1);
    const auto [begin, end] = scatter_chunk(length, comm->rank(), 2);
    const torch::Tensor expected =
        torch::arange(1, length + 1, torch::kDouble).narrow(0, begin, end - begin);
    EXPECT_TRUE(torch::equal(comm->reduce_scatter(mine, ReduceOp::kSum), expected * 3)) << length;
    const torch::Tensor average = comm->reduce_scatter(mine.to(torch::kFloat), ReduceOp::kAverage);
    EXPECT_EQ(average.scalar_type(), torch::kFloat);
    EXPECT_TRUE(torch::equal(average, (expected * 1.5).to(torch::kFloat))) << length;
  }
  // Chunks of ceil(L / ranks): with one element, rank 1's chunk is empty.
  EXPECT_EQ(scatter_chunk(1, 1, 2), std::make_pair(int64_t{1}, int64_t{1}));
  EXPECT_EQ(scatter_chunk(7, 1, 2), std::make_pair(int64_t{4}, int64_t{7}));
}

TEST_F(MpiCommTest, RanksOnHost) { EXPECT_EQ(comm->ranks_on_host(), 2); }

TEST_F(MpiCommTest, AgreementCarriesOneRanksFailureToAll) {
  try {
    agree_or_throw(*comm, [&] {
      if (comm->rank() == 1) throw InputError("pool.jsonl:4: expected field 'prompt'");
    });
    FAIL() << "every rank must throw";
  } catch (const AgreedError& error) {
    EXPECT_EQ(error.exit_code(), 2);
    EXPECT_STREQ(error.what(), "rank 1: pool.jsonl:4: expected field 'prompt'");
  }
}

}  // namespace
}  // namespace scir
