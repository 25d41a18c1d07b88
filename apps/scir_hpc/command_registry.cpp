#include "command.h"

#include "scir/core/errors.h"

namespace scir::app {

const std::vector<Command>& all_commands() {
  static const std::vector<Command> commands = {
      info_command(),  init_command(),     score_command(), generate_command(), tokenize_command(),
      world_command(), pretrain_command(), sft_command(),   eval_command(),     run_command(),
      bench_command(), export_command(),   sweep_command(), plan_command()};
  return commands;
}

const Command& find_command(const std::string& name) {
  std::string known;
  for (const Command& command : all_commands()) {
    if (command.name == name) return command;
    known += (known.empty() ? "" : ", ") + command.name;
  }
  throw InputError("unknown command '" + name + "' (expected one of: " + known + ")");
}

}  // namespace scir::app
