// DONE markers are decided by rank 0 for every rank (a rank that looked at the file system
// itself could see a marker rank 0 wrote a moment ago and skip a phase the others are in).
#include <gtest/gtest.h>

#include <filesystem>

#include "scir/dist/mpi_comm.h"
#include "scir/io/run_directory.h"

namespace scir {
namespace {

TEST(RunDirectory, EveryRankTakesRankZerosAnswer) {
  auto comm = MpiComm::world();
  // Each rank its own directory, so the ranks' file systems disagree on purpose.
  const std::string root =
      ::testing::TempDir() + "scir_run_directory_rank" + std::to_string(comm->rank());
  std::filesystem::remove_all(root);
  const RunDirectory run(root);
  if (comm->rank() == 0) run.mark_done("only_on_rank0");
  if (comm->rank() == 1) run.mark_done("only_on_rank1");
  EXPECT_TRUE(run.done(*comm, "only_on_rank0"));
  EXPECT_FALSE(run.done(*comm, "only_on_rank1"));
  EXPECT_FALSE(run.done(*comm, "nowhere"));
}

}  // namespace
}  // namespace scir
