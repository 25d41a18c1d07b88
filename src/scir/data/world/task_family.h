// A family of tasks of the embedded world: how its instructions look, how to answer one, and
// the oracle quality of any response. Every family works on a list of small integers, written
// "<name>: 5 3 9 1", and its quality comes from checks that are easier than producing the
// answer (order of neighbours, membership, counts), so a judge can be right more often than
// the policy.
#pragma once

#include <string>
#include <vector>

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
};

// sort (ascending), unique (first occurrences in order), evens (the even values in order),
// reverse (the list backwards), max (the largest value).
const std::vector<const TaskFamily*>& all_families();
// nullptr when no family has that name.
const TaskFamily* family_named(const std::string& name);

}  // namespace scir::world
