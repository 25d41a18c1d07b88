// scir_hpc: parse the command and its options, run it, and turn any error into one line and an
// exit code (2: bad input, 1: internal failure).
#include <iostream>

#include "command.h"
#include "scir/core/allocator.h"
#include "scir/core/logging.h"
#include "scir/core/process_start.h"
#include "scir/core/threads.h"
#include "scir/dist/agreement.h"
#include "scir/dist/collective_watchdog.h"
#include "scir/dist/guarded_main.h"
#include "scir/dist/mpi_comm.h"
#include "scir/dist/mpi_environment.h"

namespace {

using scir::app::Command;

std::string usage() {
  std::string text =
      "usage: scir_hpc <command> [options]    (scir_hpc <command> --help for its options)\n"
      "Self-rewarding language models with Self-Consistent Internal Rewards (SCIR).\n\n"
      "commands:\n";
  for (const Command& command : scir::app::all_commands()) {
    text += "  " + command.name + std::string(12 - std::min<size_t>(11, command.name.size()), ' ') +
            command.summary + "\n";
  }
  return text;
}

void declare_common(scir::OptionSet& options) {
  options
      .add_int("threads", 0,
               "threads per rank for LibTorch and OpenBLAS (0: cores of the host / ranks on it)")
      .add_double("comm-timeout", 3600,
                  "seconds a rank may wait in one collective before the job ends with a report "
                  "of the operation and step (0: wait for ever)");
}

void apply_common(const scir::OptionSet& options, scir::Comm& comm) {
  const long long threads = options.get_int("threads");
  // An upper bound too: a count near the integer limit would wrap in the int LibTorch takes.
  constexpr long long kMaxThreads = 4096;
  if (threads < 0 || threads > kMaxThreads)
    options.reject("threads", scir::cat("an integer in [0, ", kMaxThreads, "] (0: automatic)"));
  scir::apply_threads(threads == 0 ? scir::default_threads(comm.ranks_on_host())
                                   : static_cast<int>(threads));
  const double timeout = options.get_double("comm-timeout");
  if (!(timeout >= 0)) options.reject("comm-timeout", "a number of seconds >= 0 (0: no watchdog)");
  scir::CollectiveWatchdog::instance().configure(
      timeout, comm.size() > 1 ? scir::cat("scir_hpc: error: [rank ", comm.rank(), "] ")
                               : std::string("scir_hpc: error: "));
}

int run(scir::Comm& world, const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    if (world.rank() == 0) (args.empty() ? std::cerr : std::cout) << usage();
    return args.empty() ? scir::kExitBadInput : scir::kExitOk;
  }
  const Command* command = nullptr;
  scir::OptionSet options(args[0]);
  scir::agree_or_throw(world, [&] {
    command = &scir::app::find_command(args[0]);
    declare_common(options);
    command->declare_options(options);
    options.parse(std::vector<std::string>(args.begin() + 1, args.end()));
  });
  if (options.help_requested() || options.dump_requested()) {
    if (world.rank() == 0) {
      std::cout << (options.help_requested() ? options.help_text() : options.dump_ini());
    }
    return scir::kExitOk;
  }
  scir::agree_or_throw(world, [&] { apply_common(options, world); });
  command->run(options, world);
  return scir::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  scir::restart_with_tuned_environment(argv);
  scir::keep_freed_memory();
  std::unique_ptr<scir::MpiEnvironment> mpi;
  std::unique_ptr<scir::MpiComm> world;
  try {
    mpi = std::make_unique<scir::MpiEnvironment>(&argc, &argv);
    world = scir::MpiComm::world();
  } catch (const std::exception& error) {
    std::cerr << "scir_hpc: error: " << error.what() << std::endl;
    return scir::kExitInternal;
  }
  scir::log_set_rank(world->rank(), world->size());
  return scir::run_guarded(*world, "scir_hpc", [&] {
    return run(*world, std::vector<std::string>(argv + 1, argv + argc));
  });
}
