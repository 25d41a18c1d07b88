// Which GPU a rank takes (--device): its place among the ranks that see the same GPUs, or that
// place in a listed set; every impossible placement refused in words. And the DeviceComm that a
// job on GPUs talks through passes CPU tensors to the host communicator unchanged.
#include <gtest/gtest.h>

#include "input_error.h"
#include "scir/dist/device_comm.h"
#include "scir/dist/rank_device.h"
#include "scir/dist/serial_comm.h"

namespace scir {
namespace {

using testing_support::input_error;

TEST(RankDevice, ReadsCpuCudaAndAList) {
  EXPECT_FALSE(parse_device_request("cpu").cuda);
  const DeviceRequest cuda = parse_device_request("cuda");
  EXPECT_TRUE(cuda.cuda);
  EXPECT_TRUE(cuda.indices.empty());
  const DeviceRequest listed = parse_device_request("cuda:3,1,0");
  EXPECT_TRUE(listed.cuda);
  EXPECT_EQ(listed.indices, (std::vector<int>{3, 1, 0}));
  const std::string expected =
      "cpu, cuda (one GPU a rank) or cuda:i,j,... (the GPUs of a host's ranks)";
  for (const char* bad : {"tpu", "CUDA", "cuda:", "cuda:1,", "cuda:-1", "cuda:a", "cuda:1,,2"})
    EXPECT_EQ(input_error([&] { parse_device_request(bad); }), expected) << bad;
}

TEST(RankDevice, EachRankOfAHostTakesTheGpuOfItsPlace) {
  // Two hosts of four ranks, every rank seeing all four GPUs of its host.
  const std::vector<std::string> keys = {"a\n(all)", "a\n(all)", "a\n(all)", "a\n(all)",
                                         "b\n(all)", "b\n(all)", "b\n(all)", "b\n(all)"};
  for (int rank = 0; rank < 8; ++rank)
    EXPECT_EQ(cuda_index_for_rank(keys, rank, 4, {true, {}}), rank % 4);
  EXPECT_EQ(input_error([&] {
              cuda_index_for_rank(keys, 0, 2, {true, {}});
            }),
            "one GPU a rank: 4 ranks on this host see 2 GPU(s)");
}

TEST(RankDevice, ARankBoundToItsOwnGpuTakesItsDeviceZero) {
  // Slurm's --gpus-per-task: each rank sees one GPU of its own.
  const std::vector<std::string> keys = {"a\n0", "a\n1", "a\n2", "a\n3"};
  for (int rank = 0; rank < 4; ++rank) EXPECT_EQ(cuda_index_for_rank(keys, rank, 1, {true, {}}), 0);
}

TEST(RankDevice, AListedSetIsIndexedByTheRanksPlace) {
  const std::vector<std::string> keys = {"a\n(all)", "a\n(all)", "b\n(all)"};
  const DeviceRequest listed{true, {2, 3}};
  EXPECT_EQ(cuda_index_for_rank(keys, 0, 4, listed), 2);
  EXPECT_EQ(cuda_index_for_rank(keys, 1, 4, listed), 3);
  EXPECT_EQ(cuda_index_for_rank(keys, 2, 4, listed), 2);
  EXPECT_EQ(input_error([&] {
              cuda_index_for_rank(keys, 0, 4, {true, {1}});
            }),
            "one listed GPU a rank: 2 ranks on this host, 1 listed");
  EXPECT_EQ(input_error([&] { cuda_index_for_rank(keys, 1, 2, listed); }),
            "GPUs among the 2 this rank sees (indices below 2; 3 listed)");
}

TEST(RankDevice, CudaWithoutAGpuIsRefusedSayingWhy) {
  SerialComm comm;
  EXPECT_EQ(rank_device(gather_device_sharing(comm), parse_device_request("cpu")), torch::kCPU);
  if (torch::cuda::is_available()) GTEST_SKIP() << "a GPU is visible";
  const std::string refused =
      input_error([&] { rank_device(gather_device_sharing(comm), parse_device_request("cuda")); });
  EXPECT_EQ(refused.rfind("a GPU this process can see (none: LibTorch ", 0), 0) << refused;
}

TEST(DeviceComm, CpuTensorsGoThroughTheHostCommunicator) {
  SerialComm host;
  DeviceComm comm(host, 0);
  EXPECT_EQ(comm.size(), 1);
  EXPECT_EQ(comm.backend(), "serial+serial");
  torch::Tensor values = torch::tensor({1.0, 2.0, 3.0});
  comm.all_reduce(values, ReduceOp::kAverage);
  EXPECT_TRUE(torch::equal(values, torch::tensor({1.0, 2.0, 3.0})));
  EXPECT_TRUE(torch::equal(comm.all_gather(values), values.unsqueeze(0)));
  EXPECT_TRUE(torch::equal(comm.reduce_scatter(values, ReduceOp::kSum), values));
  EXPECT_EQ(comm.split(0, 0)->size(), 1);
}

}  // namespace
}  // namespace scir
