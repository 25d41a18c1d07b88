// Pair rows written collectively by 2 ranks: uneven counts, a rank with none, a group replaced,
// and variable-length columns added by rank 0 afterwards; read back and checked value by value.
#include <gtest/gtest.h>

#include <filesystem>

#include "scir/dist/mpi_comm.h"
#include "scir/io/h5_collective_rows.h"
#include "scir/io/h5_group.h"

namespace scir {
namespace {

std::map<std::string, std::vector<double>> rows_of(int rank, int count) {
  std::map<std::string, std::vector<double>> columns;
  for (int i = 0; i < count; ++i) {
    columns["rank"].push_back(rank);
    columns["value"].push_back(100.0 * rank + i + 0.5);
  }
  columns["rank"];  // the columns exist even without rows
  columns["value"];
  return columns;
}

TEST(H5CollectiveRows, UnevenCountsLandAtTheScanOffsets) {
  auto comm = MpiComm::world();
  const std::string file = ::testing::TempDir() + "scir_h5_collective.h5";
  if (comm->rank() == 0) std::filesystem::remove(file);
  comm->barrier();
  // 2 rows on rank 0, 5 on rank 1.
  const int64_t offset = write_h5_rows_collective(*comm, file, "/iter_1/pairs",
                                                  rows_of(comm->rank(), comm->rank() == 0 ? 2 : 5));
  EXPECT_EQ(offset, comm->rank() == 0 ? 0 : 2);
  comm->barrier();
  if (comm->rank() == 0) {
    const H5Group read = read_h5_group(file, "/iter_1/pairs");
    EXPECT_EQ(read.columns.at("rank"), (std::vector<double>{0, 0, 1, 1, 1, 1, 1}));
    EXPECT_EQ(read.columns.at("value"),
              (std::vector<double>{0.5, 1.5, 100.5, 101.5, 102.5, 103.5, 104.5}));
    // Rank 0 adds the variable-length columns to the same group.
    H5Group texts;
    texts.text_columns["text"] = {"a", "b", "c", "d", "e", "f", "g"};
    texts.token_columns["tokens"] = {{1}, {}, {2, 3}, {4}, {5}, {6}, {7, 8, 9}};
    write_h5_group(file, "/iter_1/pairs", texts, H5GroupWrite::kAddColumns);
    const H5Group all = read_h5_group(file, "/iter_1/pairs");
    EXPECT_EQ(all.columns.size(), 2u);
    EXPECT_EQ(all.text_columns.at("text")[2], "c");
    EXPECT_EQ(all.token_columns.at("tokens")[6], (std::vector<int32_t>{7, 8, 9}));
  }
  comm->barrier();
  // Written again with rank 0 empty: the group is replaced, rank 1's rows start at 0.
  const int64_t again = write_h5_rows_collective(*comm, file, "/iter_1/pairs",
                                                 rows_of(comm->rank(), comm->rank() == 0 ? 0 : 3));
  EXPECT_EQ(again, 0);
  comm->barrier();
  if (comm->rank() == 0) {
    const H5Group read = read_h5_group(file, "/iter_1/pairs");
    EXPECT_EQ(read.columns.at("value"), (std::vector<double>{100.5, 101.5, 102.5}));
    EXPECT_EQ(read.text_columns.count("text"), 0u);
  }
}

}  // namespace
}  // namespace scir
