// scir_hpc world: writes the embedded world's data sets (see world_datasets.h) as JSONL.
#include <iostream>

#include "command.h"
#include "scir/data/world/world_datasets.h"
#include "scir/dist/agreement.h"
#include "scir/io/output_paths.h"
#include "world_options.h"

namespace scir::app {
namespace {

void declare(OptionSet& options) {
  declare_world_options(options);
  declare_dataset_options(options);
  options.add_required_string("out", "directory for the data sets")
      .add_int("seed", 0, "seed of every data set's stream");
}

void run(const OptionSet& options, Comm& comm) {
  agree_or_throw(comm, [&] {
    check_output_directory(options.get_string("out"));
    const world::World world = make_world(options);
    const JudgeTemplate pairwise = pairwise_template(options);
    const world::DatasetSizes sizes = read_dataset_options(options);
    // One writer: every rank would write the same files.
    if (comm.rank() == 0) {
      const JudgeTemplate pointwise = JudgeTemplate::from_file(
          options.get_string("judge.pointwise_template"), JudgeKind::kPointwise);
      world::write_world_datasets(world, pairwise, sizes,
                                  static_cast<uint64_t>(options.get_int("seed")),
                                  options.get_string("out"), &pointwise);
    }
  });
  if (comm.rank() == 0)
    std::cout << "wrote the world's data sets to " << options.get_string("out") << "\n";
}

}  // namespace

Command world_command() {
  return {"world", "write the embedded world's data sets (corpus, IFT, EFT, pools, held-out)",
          declare, run};
}

}  // namespace scir::app
