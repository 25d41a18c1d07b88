#include "world_options.h"

#include <sstream>

namespace scir::app {

void declare_world_options(OptionSet& options) {
  options
      .add_string("world.families", "sort,unique,evens,reverse,max",
                  "task families, comma-separated")
      .add_int("world.min_length", 3, "shortest list")
      .add_int("world.max_length", 6, "longest list")
      .add_int("world.max_value", 19, "values are integers in [0, max_value]")
      .add_string("judge.pairwise_template", default_template_dir() + "/world_pairwise.txt",
                  "pairwise judge template ({instruction}, {response_a}, {response_b})");
}

world::World make_world(const OptionSet& options) {
  world::WorldKnobs knobs;
  knobs.families.clear();
  std::stringstream list(options.get_string("world.families"));
  for (std::string name; std::getline(list, name, ',');) {
    if (!name.empty()) knobs.families.push_back(name);
  }
  knobs.min_length = static_cast<int>(options.get_int("world.min_length"));
  knobs.max_length = static_cast<int>(options.get_int("world.max_length"));
  knobs.max_value = static_cast<int>(options.get_int("world.max_value"));
  return world::World(knobs);
}

JudgeTemplate pairwise_template(const OptionSet& options) {
  return JudgeTemplate::from_file(options.get_string("judge.pairwise_template"),
                                  JudgeKind::kPairwise);
}

}  // namespace scir::app
