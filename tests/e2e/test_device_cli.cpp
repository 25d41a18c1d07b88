// --device on every command that runs a model: a value it cannot read, or a GPU this process
// cannot have, is one line naming the option and exit 2, before any file is read or written.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_runner.h"

namespace {

// Each command with its required options (they are never reached: --device is read first).
const char* const kCommands[] = {
    "run --out RUNDIR",
    "score --model m --input i.jsonl",
    "generate --model m --input i.jsonl",
    "export --model m --prompts p.jsonl",
    "eval --model m --world-data d",
    "pretrain --model m --data d.jsonl --out RUNDIR",
    "sft --model m --data d.jsonl --out RUNDIR",
    "bench",
};

std::string with_directory(std::string command, const std::string& directory) {
  const size_t at = command.find("RUNDIR");
  if (at != std::string::npos) command.replace(at, 6, directory);
  return command;
}

TEST(DeviceCli, AnUnreadableDeviceIsRefusedByEveryModelCommand) {
  const std::string directory = scratch_path("scir_device_tpu");
  for (const char* command : kCommands) {
    const CommandResult result =
        run_command(scir_hpc(with_directory(command, directory) + " --device tpu"));
    EXPECT_EQ(result.exit_code, 2) << command;
    EXPECT_EQ(result.out,
              "scir_hpc: error: option '--device': expected cpu, cuda (one GPU a rank) or "
              "cuda:i,j,... (the GPUs of a host's ranks), got 'tpu'\n")
        << command;
    EXPECT_FALSE(std::filesystem::exists(directory)) << command;
  }
}

TEST(DeviceCli, CudaWithoutAGpuIsRefusedByEveryModelCommand) {
  const CommandResult probe = run_command(scir_hpc("info"));
  if (probe.out.find("CUDA: not available") == std::string::npos)
    GTEST_SKIP() << "this machine may have a GPU:\n" << probe.out;
  const std::string directory = scratch_path("scir_device_cuda");
  for (const char* command : kCommands) {
    for (const char* device : {"cuda", command[0] == 'r' ? "cuda:0,1" : nullptr}) {
      if (!device) continue;
      const CommandResult result =
          run_command(scir_hpc(with_directory(command, directory) + " --device " + device));
      EXPECT_EQ(result.exit_code, 2) << command;
      EXPECT_EQ(result.out.rfind("scir_hpc: error: option '--device': expected a GPU this process "
                                 "can see (none: LibTorch ",
                                 0),
                0u)
          << command << ": " << result.out;
      EXPECT_NE(result.out.find("got '" + std::string(device) + "'\n"), std::string::npos)
          << result.out;
      EXPECT_FALSE(std::filesystem::exists(directory)) << command;
    }
  }
}

}  // namespace
