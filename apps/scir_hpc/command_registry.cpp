#include "command.h"

namespace scir::app {

const std::vector<Command>& all_commands() {
  static const std::vector<Command> commands = {
      info_command(),  init_command(),     score_command(),  generate_command(),
      world_command(), pretrain_command(), sft_command(),    eval_command(),
      run_command(),   bench_command(),    export_command(), sweep_command()};
  return commands;
}

}  // namespace scir::app
