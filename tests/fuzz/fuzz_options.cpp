// The INI and option layer (core/config): a config file read with options of every kind,
// sectioned and not, then dumped; and the same text as a sweep grid (io/sweep_grid).
#include "fuzz_input.h"
#include "scir/core/config.h"
#include "scir/io/sweep_grid.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      scir::fuzz::write_file(scir::fuzz::scratch() / "options.ini", data, size);
  scir::fuzz::expect_input_error_at_most([&] {
    scir::OptionSet options("run");
    options.add_string("out", "runs/demo", "")
        .add_int("seed", 0, "")
        .add_double("scir.beta", 0.1, "")
        .add_bool("scir.fixed_pool", false, "")
        .add_string("model.m1", "", "")
        .add_int("data.pool", 8, "");
    options.parse({"--config", path, "--seed", "3"});
    // The command line wins over the file, and the dump says so.
    scir::fuzz::assert_property(options.get_int("seed") == 3, "the command line's seed wins");
    scir::fuzz::assert_property(options.dump_ini().find("\nseed = 3\n") != std::string::npos,
                                "the dump holds the effective seed");
  });
  std::ofstream(scir::fuzz::scratch() / "base.ini") << "seed = 1\n";
  scir::fuzz::expect_input_error_at_most([&] { scir::SweepGrid::from_file(path).expand(); });
  return 0;
}
