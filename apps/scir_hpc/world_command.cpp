// scir_hpc world: writes the embedded world's data sets (see world_datasets.h) as JSONL.
#include <iostream>

#include "command.h"
#include "scir/data/world/world_datasets.h"
#include "scir/dist/agreement.h"
#include "world_options.h"

namespace scir::app {
namespace {

void declare(OptionSet& options) {
  declare_world_options(options);
  const world::DatasetSizes sizes;
  options.add_required_string("out", "directory for the data sets")
      .add_int("seed", 0, "seed of every data set's stream")
      .add_int("data.corpus", sizes.corpus, "base corpus examples (M0)")
      .add_int("data.ift", sizes.ift, "seed IFT examples")
      .add_int("data.eft_pairs", sizes.eft_pairs, "seed EFT pairs (each in both orders)")
      .add_int("data.pool", sizes.pool, "prompts a self-rewarding iteration")
      .add_int("data.iterations", sizes.iterations, "prompt pools to write")
      .add_int("data.eval_prompts", sizes.eval_prompts, "held-out evaluation prompts")
      .add_int("data.heldout_pairs", sizes.heldout_pairs, "held-out oracle-labelled pairs")
      .add_double("data.p_correct", sizes.p_correct, "share of correct responses in the corpus");
}

world::DatasetSizes dataset_sizes(const OptionSet& options) {
  world::DatasetSizes sizes;
  const std::pair<const char*, int*> counts[] = {{"data.corpus", &sizes.corpus},
                                                 {"data.ift", &sizes.ift},
                                                 {"data.eft_pairs", &sizes.eft_pairs},
                                                 {"data.pool", &sizes.pool},
                                                 {"data.iterations", &sizes.iterations},
                                                 {"data.eval_prompts", &sizes.eval_prompts},
                                                 {"data.heldout_pairs", &sizes.heldout_pairs}};
  for (const auto& [key, target] : counts) {
    const long long value = options.get_int(key);
    if (value < 1 || value > 10'000'000) options.reject(key, "an integer in [1, 10000000]");
    *target = static_cast<int>(value);
  }
  sizes.p_correct = options.get_double("data.p_correct");
  if (sizes.p_correct < 0 || sizes.p_correct > 1)
    options.reject("data.p_correct", "a number in [0, 1]");
  return sizes;
}

void run(const OptionSet& options, Comm& comm) {
  agree_or_throw(comm, [&] {
    const world::World world = make_world(options);
    const JudgeTemplate pairwise = pairwise_template(options);
    const world::DatasetSizes sizes = dataset_sizes(options);
    // One writer: every rank would write the same files.
    if (comm.rank() == 0) {
      world::write_world_datasets(world, pairwise, sizes,
                                  static_cast<uint64_t>(options.get_int("seed")),
                                  options.get_string("out"));
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
