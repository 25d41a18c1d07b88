// The embedded task world: instructions "<family>: <list>", their correct answers, the oracle
// quality of any response, and mistakes that look like a model's own.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scir/core/rng.h"
#include "scir/data/world/task_family.h"

namespace scir::world {

struct WorldKnobs {
  int min_length = 3;  // list length
  int max_length = 7;
  int max_value = 19;  // values in [0, max_value]
  std::vector<std::string> families = {"sort", "unique", "evens", "reverse", "max"};
};

struct Task {
  const TaskFamily* family = nullptr;
  std::vector<int> list;
  std::string instruction;  // "sort: 5 3 9 1"
  std::string reference;    // the correct response, "1 3 5 9"
};

class World {
 public:
  // Unknown family names or knobs out of range are InputErrors naming the option.
  explicit World(WorldKnobs knobs);

  Task sample_task(RngStream& rng) const;
  // The task an instruction states, or nothing when it is not one of this world's.
  std::optional<Task> parse_instruction(const std::string& instruction) const;
  // Oracle quality in [0, 1] of any response; 0 for an instruction not of this world.
  double quality(const std::string& instruction, const std::string& response) const;

  // A response with 1 to max_edits plausible mistakes (a swapped neighbour, a dropped,
  // repeated, replaced or inserted value); may still be correct by chance.
  std::string corrupted_response(const Task& task, RngStream& rng, int max_edits) const;
  // The reference with probability p_correct, else a corrupted response (the base corpus).
  std::string mixed_quality_response(const Task& task, RngStream& rng, double p_correct) const;

  const WorldKnobs& knobs() const { return knobs_; }

 private:
  Task make_task(const TaskFamily* family, std::vector<int> list) const;
  WorldKnobs knobs_;
  std::vector<const TaskFamily*> families_;
};

// Uniform integer in [low, high].
int uniform_int(RngStream& rng, int low, int high);

}  // namespace scir::world
