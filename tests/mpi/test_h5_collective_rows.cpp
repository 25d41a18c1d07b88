// Pair rows written collectively by 2 ranks as shard_indices deals them (rank r's i-th row at
// r + 2 i): an odd count, columns added and replaced by later phases, a rank with none, no
// rows at all, a group replaced, and variable-length columns added by rank 0; read back value by
// value.
#include <gtest/gtest.h>

#include <filesystem>

#include "scir/core/errors.h"
#include "scir/dist/mpi_comm.h"
#include "scir/dist/sharding.h"
#include "scir/io/h5_collective_rows.h"
#include "scir/io/h5_group.h"

namespace scir {
namespace {

// This rank's rows of `total`: the item index and a value derived from it.
std::map<std::string, std::vector<double>> rows_of(int rank, size_t total, double scale) {
  std::map<std::string, std::vector<double>> columns{{"item", {}}, {"value", {}}};
  for (size_t i : shard_indices(total, rank, 2)) {
    columns["item"].push_back(static_cast<double>(i));
    columns["value"].push_back(scale * static_cast<double>(i) + 0.5);
  }
  return columns;
}

std::string fresh_file(Comm& comm, const char* name) {
  const std::string file = ::testing::TempDir() + name;
  if (comm.rank() == 0) std::filesystem::remove(file);
  comm.barrier();
  return file;
}

TEST(H5CollectiveRows, StridedRowsLandInItemOrder) {
  auto comm = MpiComm::world();
  const std::string file = fresh_file(*comm, "scir_h5_strided.h5");
  write_h5_strided_rows_collective(*comm, file, "/iter_1/pairs", rows_of(comm->rank(), 7, 1));
  comm->barrier();
  if (comm->rank() == 0) {
    const H5Group read = read_h5_group(file, "/iter_1/pairs");
    EXPECT_EQ(read.columns.at("item"), (std::vector<double>{0, 1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(read.columns.at("value"), (std::vector<double>{0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5}));
    // Rank 0 adds the variable-length columns to the same group.
    H5Group texts;
    texts.text_columns["text"] = {"a", "b", "c", "d", "e", "f", "g"};
    texts.token_columns["tokens"] = {{1}, {}, {2, 3}, {4}, {5}, {6}, {7, 8, 9}};
    write_h5_group(file, "/iter_1/pairs", texts, H5GroupWrite::kAddColumns);
  }
  comm->barrier();
  // A later phase adds a column and writes "value" again: both land, the rest stays.
  std::map<std::string, std::vector<double>> later = rows_of(comm->rank(), 7, 10);
  later["later"] = later.at("item");
  later.erase("item");
  write_h5_strided_rows_collective(*comm, file, "/iter_1/pairs", later, H5GroupWrite::kAddColumns);
  comm->barrier();
  if (comm->rank() == 0) {
    const H5Group all = read_h5_group(file, "/iter_1/pairs");
    EXPECT_EQ(all.columns.size(), 3u);
    EXPECT_EQ(all.columns.at("later"), (std::vector<double>{0, 1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(all.columns.at("value")[6], 60.5);
    EXPECT_EQ(all.text_columns.at("text")[2], "c");
    EXPECT_EQ(all.token_columns.at("tokens")[6], (std::vector<int32_t>{7, 8, 9}));
  }
  comm->barrier();
  // Written again with one row (rank 1 has none): the group is replaced.
  write_h5_strided_rows_collective(*comm, file, "/iter_1/pairs", rows_of(comm->rank(), 1, 1));
  comm->barrier();
  if (comm->rank() == 0) {
    const H5Group read = read_h5_group(file, "/iter_1/pairs");
    EXPECT_EQ(read.columns.at("value"), (std::vector<double>{0.5}));
    EXPECT_EQ(read.text_columns.count("text"), 0u);
  }
}

// An iteration whose samples give no pair at all (every response of a prompt the same, or
// scored the same): the group holds its columns, empty.
TEST(H5CollectiveRows, NoRowsOnAnyRankWriteEmptyColumns) {
  auto comm = MpiComm::world();
  const std::string file = fresh_file(*comm, "scir_h5_strided_empty.h5");
  write_h5_strided_rows_collective(*comm, file, "/iter_1/pairs", rows_of(comm->rank(), 0, 1));
  write_h5_strided_rows_collective(*comm, file, "/iter_1/pairs", rows_of(comm->rank(), 0, 1),
                                   H5GroupWrite::kAddColumns);
  comm->barrier();
  if (comm->rank() == 0) {
    const H5Group read = read_h5_group(file, "/iter_1/pairs");
    ASSERT_EQ(read.columns.size(), 2u);
    EXPECT_TRUE(read.columns.at("item").empty());
    EXPECT_TRUE(read.columns.at("value").empty());
  }
}

TEST(H5CollectiveRows, RowsNotDealtAsShardIndicesDealsThemAreRefused) {
  auto comm = MpiComm::world();
  const std::string file = fresh_file(*comm, "scir_h5_strided_refused.h5");
  // 2 rows on rank 0, 5 on rank 1: 7 rows would deal 4 and 3.
  std::map<std::string, std::vector<double>> rows{
      {"value", std::vector<double>(comm->rank() == 0 ? 2 : 5, 1.0)}};
  EXPECT_THROW(write_h5_strided_rows_collective(*comm, file, "/pairs", rows), InternalError);
}

}  // namespace
}  // namespace scir
