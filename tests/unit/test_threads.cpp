#include <gtest/gtest.h>

#include <torch/torch.h>

#include "scir/core/errors.h"
#include "scir/core/threads.h"

namespace scir {
namespace {

TEST(Threads, DefaultDividesCoresAmongRanksOnTheHost) {
  const int cores = available_cores();
  ASSERT_GE(cores, 1);
  EXPECT_EQ(default_threads(1), cores);
  EXPECT_EQ(default_threads(cores), 1);
  EXPECT_EQ(default_threads(cores * 4), 1);  // never zero
}

TEST(Threads, ApplySetsLibTorchAndOpenBlas) {
  apply_threads(2);
  EXPECT_EQ(torch::get_num_threads(), 2);
  EXPECT_EQ(blas_threads(), 2);  // OpenBLAS is the BLAS env/setup.sh installs
  apply_threads(1);
  EXPECT_EQ(torch::get_num_threads(), 1);
  EXPECT_EQ(blas_threads(), 1);  // OpenBLAS is the BLAS env/setup.sh installs
}

// The option is checked where it is read (apps); zero threads here is a caller's defect.
TEST(Threads, ZeroThreadsIsRejected) { EXPECT_THROW(apply_threads(0), InternalError); }

}  // namespace
}  // namespace scir
