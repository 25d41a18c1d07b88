#include "scir/data/world/world.h"

#include "scir/core/errors.h"
#include "scir/data/world/int_list.h"

namespace scir::world {

int uniform_int(RngStream& rng, int low, int high) {
  return low + static_cast<int>(rng.next_u64() % static_cast<uint64_t>(high - low + 1));
}

World::World(WorldKnobs knobs) : knobs_(std::move(knobs)) {
  // The options that fill the knobs are checked where they are read (apps).
  if (knobs_.min_length < 1 || knobs_.max_length < knobs_.min_length || knobs_.max_value < 1 ||
      knobs_.max_value > 999 || knobs_.families.empty()) {
    throw InternalError(cat("world knobs out of range: lengths ", knobs_.min_length, "..",
                            knobs_.max_length, ", values up to ", knobs_.max_value, ", ",
                            knobs_.families.size(), " families"));
  }
  for (const std::string& name : knobs_.families) {
    const TaskFamily* family = family_named(name);
    if (!family) throw InternalError("world knobs: no task family " + name);
    families_.push_back(family);
  }
}

Task World::make_task(const TaskFamily* family, std::vector<int> list) const {
  Task task;
  task.family = family;
  task.instruction = family->name() + ": " + format_list(list);
  task.reference = format_list(family->answer(list));
  task.list = std::move(list);
  return task;
}

Task World::sample_task(RngStream& rng) const {
  const TaskFamily* family = families_[rng.next_u64() % families_.size()];
  const int length = uniform_int(rng, knobs_.min_length, knobs_.max_length);
  return make_task(family, family->sample_list(rng, length, knobs_.max_value));
}

std::optional<Task> World::parse_instruction(const std::string& instruction) const {
  const auto colon = instruction.find(": ");
  if (colon == std::string::npos) return std::nullopt;
  const TaskFamily* family = family_named(instruction.substr(0, colon));
  if (!family) return std::nullopt;
  const ParsedList parsed = parse_list(instruction.substr(colon + 2));
  if (parsed.garbage > 0 || !family->accepts(parsed.values)) return std::nullopt;
  return make_task(family, parsed.values);
}

double World::quality(const std::string& instruction, const std::string& response) const {
  const std::optional<Task> task = parse_instruction(instruction);
  if (!task) return 0.0;
  return task->family->quality(task->list, response);
}

std::string World::corrupted_response(const Task& task, RngStream& rng, int max_edits) const {
  std::vector<int> values = task.family->answer(task.list);
  const int edits = uniform_int(rng, 1, std::max(1, max_edits));
  for (int e = 0; e < edits; ++e) {
    const int size = static_cast<int>(values.size());
    switch (rng.next_u64() % 5) {
      case 0:  // swap neighbours: an order mistake
        if (size >= 2) {
          const int i = uniform_int(rng, 0, size - 2);
          std::swap(values[i], values[i + 1]);
        }
        break;
      case 1:  // drop a value
        if (size >= 1) values.erase(values.begin() + uniform_int(rng, 0, size - 1));
        break;
      case 2:  // repeat a value
        if (size >= 1) {
          const int i = uniform_int(rng, 0, size - 1);
          values.insert(values.begin() + i, values[i]);
        }
        break;
      case 3:  // replace a value with another from the list (a plausible confusion)
        if (size >= 1) {
          values[uniform_int(rng, 0, size - 1)] =
              task.list[uniform_int(rng, 0, static_cast<int>(task.list.size()) - 1)];
        }
        break;
      default:  // insert a value from the list
        values.insert(values.begin() + uniform_int(rng, 0, size),
                      task.list[uniform_int(rng, 0, static_cast<int>(task.list.size()) - 1)]);
        break;
    }
  }
  return format_list(values);
}

std::string World::mixed_quality_response(const Task& task, RngStream& rng,
                                          double p_correct) const {
  if (rng.next_uniform() < p_correct) return task.reference;
  return corrupted_response(task, rng, 3);
}

}  // namespace scir::world
