// Rows of numbers and token sequences gathered in item order over 2 ranks: uneven counts, a
// rank without rows, sequences of every length (empty included), values that text would round.
#include <gtest/gtest.h>

#include "scir/core/errors.h"
#include "scir/dist/item_rows.h"
#include "scir/dist/mpi_comm.h"

namespace scir {
namespace {

ItemRows rows_of(const std::vector<int64_t>& items) {
  ItemRows rows{{}, {{"value", {}}, {"half", {}}}, {{"ids", {}}, {"more", {}}}};
  for (int64_t item : items) {
    rows.items.push_back(item);
    rows.numbers["value"].push_back(0.1 * static_cast<double>(item) + 1e-17);
    rows.numbers["half"].push_back(static_cast<double>(item) / 2);
    rows.tokens["ids"].push_back(std::vector<int64_t>(static_cast<size_t>(item % 4), item));
    rows.tokens["more"].push_back({item, -item, int64_t{1} << 40});
  }
  return rows;
}

TEST(ItemRows, EveryRankGetsEveryRowInItemOrder) {
  auto comm = MpiComm::world();
  // Rank 0 holds items 4, 0, 6; rank 1 items 5, 1, 3, 2 (out of order on purpose).
  const ItemRows mine =
      rows_of(comm->rank() == 0 ? std::vector<int64_t>{4, 0, 6} : std::vector<int64_t>{5, 1, 3, 2});
  const ItemRows all = all_gather_item_rows(*comm, mine);
  const ItemRows expected = rows_of({0, 1, 2, 3, 4, 5, 6});
  EXPECT_EQ(all.items, expected.items);
  EXPECT_EQ(all.numbers, expected.numbers);  // bit for bit: doubles move as doubles
  EXPECT_EQ(all.tokens, expected.tokens);
}

TEST(ItemRows, ARankWithoutRowsAndNoColumnsOfAKind) {
  auto comm = MpiComm::world();
  ItemRows mine{{}, {{"value", {}}}, {}};
  if (comm->rank() == 1) {
    mine.items = {7};
    mine.numbers["value"] = {2.5};
  }
  const ItemRows all = all_gather_item_rows(*comm, mine);
  EXPECT_EQ(all.items, (std::vector<int64_t>{7}));
  EXPECT_EQ(all.numbers.at("value"), (std::vector<double>{2.5}));
  EXPECT_TRUE(all.tokens.empty());
}

TEST(ItemRows, RanksThatDifferInColumnsAreRefused) {
  auto comm = MpiComm::world();
  ItemRows mine{{}, {{comm->rank() == 0 ? "a" : "b", {}}}, {}};
  EXPECT_THROW(all_gather_item_rows(*comm, mine), InternalError);
}

}  // namespace
}  // namespace scir
