// A scir_hpc subcommand: its options and what it does. Commands are thin: they read options
// and call the library.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "scir/core/config.h"
#include "scir/dist/comm.h"

namespace scir::app {

struct Command {
  std::string name;
  std::string summary;
  std::function<void(OptionSet&)> declare_options;
  std::function<void(const OptionSet&, Comm&)> run;
};

// Every command, in the order --help lists them.
const std::vector<Command>& all_commands();
// The command of that name; an InputError listing the commands when there is none.
const Command& find_command(const std::string& name);

Command info_command();
Command init_command();
Command score_command();
Command generate_command();
Command world_command();
Command pretrain_command();
Command sft_command();
Command eval_command();
Command run_command();
Command bench_command();
Command export_command();
Command sweep_command();
Command tokenize_command();
Command plan_command();

}  // namespace scir::app
