#include <gtest/gtest.h>

#include <fstream>
#include <regex>

#include "cli_runner.h"
#include "scir/core/blas_kernel.h"

namespace {

int count_lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

TEST(Cli, NoCommandPrintsUsageAndExitsTwo) {
  const CommandResult result = run_command(scir_hpc(""));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.out.find("usage: scir_hpc <command>"), std::string::npos);
  EXPECT_NE(result.out.find("info"), std::string::npos);
}

TEST(Cli, UnknownCommandIsOneLineExitTwo) {
  const CommandResult result = run_command(scir_hpc("frobnicate"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out,
            "scir_hpc: error: unknown command 'frobnicate' (expected one of: info, init, score, "
            "generate, tokenize, world, pretrain, sft, eval, run, bench, export, sweep, plan)\n");
}

TEST(Cli, UnknownOptionIsOneLineExitTwo) {
  const CommandResult result = run_command(scir_hpc("info --bogus 3"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "scir_hpc: error: unknown option '--bogus'\n");
}

// A user's OPENBLAS_CORETYPE naming a kernel this CPU cannot run would end every command with
// SIGILL (exit 132): refused in one line naming the variable, exit 2.
TEST(Cli, AnOpenBlasKernelTheCpuCannotRunIsRefused) {
  const scir::CpuFeatures features = scir::detect_cpu_features();
  std::string kernel, problem;
  for (const char* name : {"Cooperlake", "SkylakeX", "Haswell", "Sandybridge"}) {
    problem = scir::openblas_kernel_problem(name, features);
    if (!problem.empty()) {
      kernel = name;
      break;
    }
  }
  if (kernel.empty()) GTEST_SKIP() << "this CPU runs every OpenBLAS kernel scir knows";
  const CommandResult result = run_command("OPENBLAS_CORETYPE=" + kernel + " " + scir_hpc("info"));
  EXPECT_EQ(result.exit_code, 2) << result.out;
  EXPECT_EQ(result.out, "scir_hpc: error: " + problem + "\n");
}

TEST(Cli, BadValueIsOneLineExitTwo) {
  const CommandResult result = run_command(scir_hpc("info --threads two"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out, "scir_hpc: error: option '--threads': expected an integer, got 'two'\n");
  const CommandResult range = run_command(scir_hpc("info --sgemm-seconds -1"));
  EXPECT_EQ(range.exit_code, 2);
  EXPECT_EQ(range.out,
            "scir_hpc: error: option '--sgemm-seconds': expected a number in (0, 60], got '-1'\n");
}

TEST(Cli, MissingConfigFileIsOneLineExitTwo) {
  const CommandResult result = run_command(scir_hpc("info --config /nonexistent.ini"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(result.out,
            "scir_hpc: error: --config: cannot open '/nonexistent.ini' (expected a readable INI "
            "file)\n");
}

TEST(Cli, ConfigFileAndOverrideDumpedAsIni) {
  const std::string ini = scratch_path("cli_info.ini");
  std::ofstream(ini) << "threads = 1\nsgemm-seconds = 0.5\n";
  const CommandResult result =
      run_command(scir_hpc("info --config " + ini + " --sgemm-seconds 0.25 --dump-config"));
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("threads = 1\n"), std::string::npos);
  EXPECT_NE(result.out.find("sgemm-seconds = 0.25\n"), std::string::npos);
}

TEST(Cli, CommandHelpListsItsOptions) {
  const CommandResult result = run_command(scir_hpc("info --help"));
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_NE(result.out.find("--sgemm-seconds"), std::string::npos);
  EXPECT_NE(result.out.find("--threads"), std::string::npos);
}

TEST(Cli, InfoOnTwoRanksReportsEachRankOnce) {
  // Started without OMP_WAIT_POLICY, each rank restarts itself with the passive policy.
  const CommandResult result = run_command("env -u OMP_WAIT_POLICY " + std::string(SCIR_MPIEXEC) +
                                           " " + scir_hpc("info --sgemm-seconds 0.2"));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  EXPECT_NE(result.out.find("rank 0 of 2"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("rank 1 of 2"), std::string::npos) << result.out;
  // Two ranks on a 2-core host: one thread each for LibTorch and OpenBLAS by default.
  const std::regex threads("threads: torch ([0-9]+), BLAS (-?[0-9]+)");
  int seen = 0;
  for (std::sregex_iterator it(result.out.begin(), result.out.end(), threads), end; it != end;
       ++it, ++seen) {
    EXPECT_EQ(std::stoi((*it)[1]), 1);
  }
  EXPECT_EQ(seen, 2);
  const std::regex passive("\\(OpenMP wait policy: passive\\)");
  EXPECT_EQ(std::distance(std::sregex_iterator(result.out.begin(), result.out.end(), passive),
                          std::sregex_iterator()),
            2)
      << result.out;
  const std::regex rate("sgemm: ([0-9.e+]+) GFLOP/s");
  std::smatch match;
  ASSERT_TRUE(std::regex_search(result.out, match, rate)) << result.out;
  EXPECT_GT(std::stod(match[1]), 0.5);
  EXPECT_NE(result.out.find("(parallel)"), std::string::npos);
}

// The environment of a process started without any BLAS kernel setting.
const std::string kNoKernelSetting =
    "env -u OPENBLAS_CORETYPE -u SCIR_BLAS_KERNEL_REQUESTED -u SCIR_BLAS_KERNEL_OPENBLAS_CHOICE "
    "-u SCIR_BLAS_KERNEL_REFUSED ";

std::string info_line(const std::string& out, const std::string& label) {
  const size_t start = out.find("  " + label + ": ");
  if (start == std::string::npos) return "";
  return out.substr(start + label.size() + 4, out.find('\n', start) - start - label.size() - 4);
}

// Started with no setting, each process runs the best kernel of this CPU: the one scir chose,
// or OpenBLAS's own when that is at least as good.
TEST(Cli, InfoNamesTheBestBlasKernelOfThisCpuAndWhy) {
  const CommandResult result = run_command(kNoKernelSetting + scir_hpc("info --sgemm-seconds 0.1"));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  const std::string line = info_line(result.out, "BLAS kernel");
  ASSERT_FALSE(line.empty()) << result.out;
  const std::string kernel = line.substr(0, line.find(' '));
  const std::string best = scir::best_openblas_kernel(scir::detect_cpu_features());
  if (line.find("chosen by scir") != std::string::npos) {
    EXPECT_EQ(kernel, best) << line;
    const std::string own = line.substr(line.find("OpenBLAS's own choice ") + 22);
    EXPECT_LT(scir::openblas_kernel_level(own.substr(0, own.find(';'))),
              scir::openblas_kernel_level(best))
        << line;
  } else {
    EXPECT_NE(line.find("OpenBLAS's own choice: no better kernel"), std::string::npos) << line;
    EXPECT_GE(scir::openblas_kernel_level(kernel), scir::openblas_kernel_level(best)) << line;
  }
  EXPECT_EQ(result.out.find("warning"), std::string::npos) << result.out;
}

TEST(Cli, TheUsersOpenBlasKernelWins) {
  const CommandResult result = run_command(kNoKernelSetting + "OPENBLAS_CORETYPE=Prescott " +
                                           scir_hpc("info --sgemm-seconds 0.1"));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  EXPECT_EQ(info_line(result.out, "BLAS kernel"),
            "Prescott (OPENBLAS_CORETYPE=Prescott set by the user)");
}

// The process scir starts after requesting the best kernel (as on a CPU newer than OpenBLAS,
// where OpenBLAS chose Prescott): it checks the kernel and keeps it.
TEST(Cli, ARequestedKernelIsCheckedAndKept) {
  const std::string best = scir::best_openblas_kernel(scir::detect_cpu_features());
  if (best.empty()) GTEST_SKIP() << "this CPU runs no kernel above the generic ones";
  const CommandResult result = run_command(
      kNoKernelSetting + "OPENBLAS_CORETYPE=" + best + " SCIR_BLAS_KERNEL_REQUESTED=" + best +
      " SCIR_BLAS_KERNEL_OPENBLAS_CHOICE=Prescott " + scir_hpc("info --sgemm-seconds 0.1"));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  EXPECT_NE(info_line(result.out, "BLAS kernel").find(best + " (chosen by scir for this CPU: "),
            std::string::npos)
      << result.out;
  EXPECT_NE(
      info_line(result.out, "BLAS kernel").find("OpenBLAS's own choice Prescott; sgemm checked)"),
      std::string::npos)
      << result.out;
  EXPECT_EQ(result.out.find("warning"), std::string::npos) << result.out;
}

// A requested kernel that does not run as requested (here one OpenBLAS has no such name for)
// is refused with a warning, and the process runs on OpenBLAS's own choice.
TEST(Cli, ARequestedKernelThatFailsItsCheckFallsBackWithAWarning) {
  const CommandResult result =
      run_command(kNoKernelSetting + "OPENBLAS_CORETYPE=Bogus SCIR_BLAS_KERNEL_REQUESTED=Bogus " +
                  scir_hpc("info --sgemm-seconds 0.1"));
  ASSERT_EQ(result.exit_code, 0) << result.out;
  EXPECT_NE(result.out.find("scir: warning: OpenBLAS kernel Bogus refused (OpenBLAS ran "),
            std::string::npos)
      << result.out;
  const std::string line = info_line(result.out, "BLAS kernel");
  EXPECT_NE(line.find("(OpenBLAS's own choice; scir's choice refused: Bogus: OpenBLAS ran "),
            std::string::npos)
      << line;
}

TEST(Cli, BadOptionUnderMpiIsReportedOnceWithExitTwo) {
  const CommandResult result =
      run_command(std::string(SCIR_MPIEXEC) + " " + scir_hpc("info --threads -3"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_EQ(count_lines(result.out), 1) << result.out;
  EXPECT_EQ(result.out,
            "scir_hpc: error: option '--threads': expected an integer in [0, 4096] (0: "
            "automatic), got '-3'\n");
}

}  // namespace
