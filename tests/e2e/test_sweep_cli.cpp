// scir_hpc sweep: a grid in one MPI job, the ranks split into groups that each run their share.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cli_runner.h"
#include "scir/io/sweep_grid.h"

namespace {

namespace fs = std::filesystem;

// A new folder for a sweep, with the tiny run's configuration in it as tiny.ini.
fs::path sweep_folder(const std::string& name) {
  const fs::path root = fs::path(scratch_path(name));
  fs::remove_all(root);
  fs::create_directories(root);
  fs::copy_file(fs::path(SCIR_SOURCE_DIR) / "tests/fixtures/tiny_run.ini", root / "tiny.ini");
  return root;
}

TEST(SweepCli, TwoRanksRunTwoConfigurationsSideBySideAndSkipThemAfter) {
  const fs::path root = sweep_folder("scir_sweep_cli");
  const fs::path grid = root / "grid.ini";
  std::ofstream(grid) << "[sweep]\nconfig = tiny.ini\nout = " << (root / "out").string()
                      << "\nranks = 1\n[grid]\nscir.method = scir, srlm\n[fixed]\nscir.beta = "
                         "0.2\n";
  const std::string command =
      std::string(SCIR_MPIEXEC) + " " + scir_hpc("sweep --grid " + grid.string());
  const CommandResult first = run_command(command);
  ASSERT_EQ(first.exit_code, 0) << first.out;
  const scir::SweepGrid parsed = scir::SweepGrid::from_file(grid.string());
  const auto runs = parsed.expand();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[1].directory, (root / "out" / "scir.method=srlm").string());
  for (const auto& run : runs) {
    EXPECT_TRUE(fs::exists(fs::path(run.directory) / ".done" / "run")) << run.directory;
    EXPECT_TRUE(fs::exists(fs::path(run.directory) / "ckpt/iter_1/final/model.safetensors"));
    std::ifstream config(fs::path(run.directory) / "config.ini");
    const std::string text((std::istreambuf_iterator<char>(config)),
                           std::istreambuf_iterator<char>());
    EXPECT_NE(text.find("beta = 0.2\n"), std::string::npos) << run.directory;
  }
  const CommandResult again = run_command(command);
  ASSERT_EQ(again.exit_code, 0) << again.out;
  EXPECT_NE(again.out.find("scir.method=scir: finished already, skipped"), std::string::npos)
      << again.out;
  EXPECT_NE(again.out.find("scir.method=srlm: finished already, skipped"), std::string::npos)
      << again.out;

  const CommandResult bad =
      run_command(scir_hpc("sweep --grid " + grid.string() + " --ranks-per-run 3"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.out,
            "scir_hpc: error: option '--ranks-per-run': expected a divisor of the 1 ranks (the "
            "ranks of one run), got '3'\n");
}

TEST(SweepGrid, ExpandsLikeTheSweepScriptLastOptionFastest) {
  const fs::path root = fs::path(scratch_path("scir_sweep_grid"));
  fs::create_directories(root);
  std::ofstream(root / "base.ini") << "seed = 1\n";
  std::ofstream(root / "grid.ini") << "[sweep]\nconfig = base.ini\nout = o\n[grid]\n"
                                      "scir.method = srlm, scir\nseed = 1,2,3\n[fixed]\n"
                                      "scir.lambda = 0.5\n";
  const auto runs = scir::SweepGrid::from_file((root / "grid.ini").string()).expand();
  ASSERT_EQ(runs.size(), 6u);
  EXPECT_EQ(runs[0].directory, "o/scir.method=srlm__seed=1");
  EXPECT_EQ(runs[2].directory, "o/scir.method=srlm__seed=3");
  EXPECT_EQ(runs[4].directory, "o/scir.method=scir__seed=2");
  const std::vector<std::pair<std::string, std::string>> options = {
      {"scir.lambda", "0.5"}, {"scir.method", "scir"}, {"seed", "2"}};
  EXPECT_EQ(runs[4].options, options);
  std::ofstream(root / "bad.ini") << "[sweep]\nconfig = base.ini\nout = o\n[grid]\nseed = ,\n";
  try {
    scir::SweepGrid::from_file((root / "bad.ini").string());
    FAIL() << "expected an InputError";
  } catch (const std::exception& error) {
    EXPECT_EQ(std::string(error.what()),
              (root / "bad.ini").string() + ": [grid] seed: expected comma-separated values");
  }
}

TEST(SweepGrid, AVariantSetsItsOptionsTogetherLikeTheSweepScript) {
  const fs::path root = fs::path(scratch_path("scir_sweep_variants"));
  fs::create_directories(root);
  std::ofstream(root / "base.ini") << "seed = 1\n";
  std::ofstream(root / "grid.ini")
      << "[sweep]\nconfig = base.ini\nout = o\n[fixed]\ndata.pool = 8\n[grid]\nseed = 1, 2\n"
         "variant = srlm, scir\n[variant srlm]\nscir.method = srlm\n[variant scir]\n"
         "scir.method = scir\nscir.pairs_per_prompt = 3\n";
  const auto runs = scir::SweepGrid::from_file((root / "grid.ini").string()).expand();
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[1].directory, "o/seed=1__variant=scir");
  EXPECT_EQ(runs[2].directory, "o/seed=2__variant=srlm");
  const std::vector<std::pair<std::string, std::string>> scir = {
      {"data.pool", "8"}, {"seed", "1"}, {"scir.method", "scir"}, {"scir.pairs_per_prompt", "3"}};
  EXPECT_EQ(runs[1].options, scir);
  const std::vector<std::pair<std::string, std::string>> srlm = {
      {"data.pool", "8"}, {"seed", "2"}, {"scir.method", "srlm"}};
  EXPECT_EQ(runs[2].options, srlm);
  const std::pair<const char*, const char*> bad[] = {
      {"[grid]\nvariant = a\n", "[grid] variant: no section [variant a]"},
      {"[grid]\nvariant = a\n[variant a]\nseed = 1\n[variant b]\nseed = 2\n",
       "[variant b]: not among [grid] variant"},
      {"[grid]\nvariant = a\n[variant a]\n", "[variant a]: expected at least one option"},
      {"[fixed]\nseed = 1\n[grid]\nvariant = a\n[variant a]\nseed = 2\n",
       "[variant a] seed: also in [fixed]"},
      {"[grid]\nseed = 1\nvariant = a\n[variant a]\nseed = 2\n",
       "[variant a] seed: also in [grid]"}};
  for (const auto& [text, message] : bad) {
    std::ofstream(root / "bad.ini") << "[sweep]\nconfig = base.ini\nout = o\n" << text;
    try {
      scir::SweepGrid::from_file((root / "bad.ini").string());
      ADD_FAILURE() << "expected an InputError for " << text;
    } catch (const std::exception& error) {
      EXPECT_EQ(std::string(error.what()), (root / "bad.ini").string() + ": " + message);
    }
  }
}

// Every run of a grid is checked before the first starts: a bad value in the last run of the
// grid costs nothing of the runs before it (a regression: they used to run first).
TEST(SweepCli, ABadValueInTheLastRunIsRefusedBeforeTheFirstRuns) {
  const fs::path root = sweep_folder("scir_sweep_cli_bad_last");
  const fs::path grid = root / "grid.ini";
  std::ofstream(grid) << "[sweep]\nconfig = tiny.ini\nout = " << (root / "out").string()
                      << "\nranks = 1\n[grid]\nscir.beta = 0.2, 0.1, 0\n";
  const CommandResult result = run_command(scir_hpc("sweep --grid " + grid.string()));
  EXPECT_EQ(result.exit_code, 2) << result.out;
  EXPECT_EQ(result.out, "scir_hpc: error: option '--scir.beta': expected a number > 0, got '0'\n");
  for (const char* run : {"scir.beta=0.2", "scir.beta=0.1"}) {
    EXPECT_FALSE(fs::exists(root / "out" / run / "config.ini")) << run;
    EXPECT_FALSE(fs::exists(root / "out" / run / "run.h5")) << run;
  }
}

// The [sweep] section is read as strictly as sweep.py's configparser reads it.
TEST(SweepGrid, DuplicateKeysAndSectionsAndNonIntegerRanksAreRefused) {
  const fs::path root = fs::path(scratch_path("scir_sweep_strict"));
  fs::create_directories(root);
  std::ofstream(root / "base.ini") << "seed = 1\n";
  const std::pair<const char*, const char*> bad[] = {
      {"[sweep]\nconfig = base.ini\nout = o\nout = p\n[grid]\nseed = 1\n",
       ":4: [sweep] out: given twice"},
      {"[sweep]\nconfig = base.ini\nout = o\n[grid]\nseed = 1\nseed = 2\n",
       ":6: [grid] seed: given twice"},
      {"[sweep]\nconfig = base.ini\nout = o\n[grid]\nseed = 1\n[grid]\nseed = 2\n",
       ":6: section [grid] given twice"},
      {"[sweep]\nconfig = base.ini\nout = o\nranks = 2x\n[grid]\nseed = 1\n",
       ": [sweep] ranks: expected an integer >= 1, not '2x'"},
      {"[sweep]\nconfig = base.ini\nout = o\nranks = 2.5\n[grid]\nseed = 1\n",
       ": [sweep] ranks: expected an integer >= 1, not '2.5'"}};
  for (const auto& [text, message] : bad) {
    std::ofstream(root / "bad.ini") << text;
    try {
      scir::SweepGrid::from_file((root / "bad.ini").string());
      ADD_FAILURE() << "expected an InputError for " << text;
    } catch (const std::exception& error) {
      EXPECT_EQ(std::string(error.what()), (root / "bad.ini").string() + message);
    }
  }
  std::ofstream(root / "good.ini") << "[sweep]\nconfig = base.ini\nout = o\nranks = 2\n[grid]\n"
                                      "seed = 1\n";
  EXPECT_EQ(scir::SweepGrid::from_file((root / "good.ini").string()).ranks, 2);
}

}  // namespace
