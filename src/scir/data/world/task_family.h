// A family of tasks of the embedded world: how its instructions look, how to answer one, and
// the oracle quality of any response. Every family works on a list of small integers, written
// "<name>: 5 3 9 1", and its quality comes from checks that are easier than producing the
// answer (order of neighbours, membership, counts), so a judge can be right more often than
// the policy.
#pragma once

#include <string>
#include <vector>

#include "scir/core/rng.h"

namespace scir::world {

class TaskFamily {
 public:
  virtual ~TaskFamily() = default;
  virtual std::string name() const = 0;
  // The correct response to a list.
  virtual std::vector<int> answer(const std::vector<int>& list) const = 0;
  // q in [0, 1] of any response text, 1 exactly for the correct answer; partial credit ranks
  // wrong answers. Never throws.
  virtual double quality(const std::vector<int>& list, const std::string& response) const = 0;
  // The list of a new task: `length` values in [0, max_value] (a family whose list carries
  // more than values, pairsum's target, builds it here).
  virtual std::vector<int> sample_list(RngStream& rng, int length, int max_value) const;
  // Whether a list read back from an instruction is a task of this family (it has an answer).
  virtual bool accepts(const std::vector<int>& list) const { return !list.empty(); }
};

// sort (ascending), unique (first occurrences in order), evens (the even values in order),
// reverse (the list backwards), max (the largest value), pairsum (two values of the list that
// add up to its first number: checking an answer is one sum, finding one is a search).
const std::vector<const TaskFamily*>& all_families();
// nullptr when no family has that name.
const TaskFamily* family_named(const std::string& name);

}  // namespace scir::world
