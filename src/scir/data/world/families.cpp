// The six task families. The five list transformations score F1 of the response's values
// against the answer (what is there), times a factor for the order of neighbours (how it is
// arranged); pairsum scores membership and one sum. All are checks a reader can make locally.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>

#include "scir/data/world/int_list.h"
#include "scir/data/world/task_family.h"
#include "scir/data/world/world.h"

namespace scir::world {
namespace {

// Share of adjacent pairs (a, b) of `got` that can appear in that order in `want`: some a
// stands before some b (values absent from `want` count as out of order).
double relative_order_share(const std::vector<int>& got, const std::vector<int>& want) {
  std::map<int, size_t> first, last;
  for (size_t i = 0; i < want.size(); ++i) {
    first.emplace(want[i], i);
    last[want[i]] = i;
  }
  return adjacent_share(got, [&](int a, int b) {
    auto pa = first.find(a), pb = last.find(b);
    return pa != first.end() && pb != last.end() && pa->second < pb->second;
  });
}

class SortFamily : public TaskFamily {
 public:
  std::string name() const override { return "sort"; }
  std::vector<int> answer(const std::vector<int>& list) const override {
    std::vector<int> sorted = list;
    std::sort(sorted.begin(), sorted.end());
    return sorted;
  }
  double quality(const std::vector<int>& list, const std::string& response) const override {
    const ParsedList got = parse_list(response);
    const double order = adjacent_share(got.values, [](int a, int b) { return a <= b; });
    return multiset_f1(got, list) * (0.5 + 0.5 * order);
  }
};

class UniqueFamily : public TaskFamily {
 public:
  std::string name() const override { return "unique"; }
  std::vector<int> answer(const std::vector<int>& list) const override {
    std::vector<int> kept;
    std::set<int> seen;
    for (int value : list) {
      if (seen.insert(value).second) kept.push_back(value);
    }
    return kept;
  }
  double quality(const std::vector<int>& list, const std::string& response) const override {
    const std::vector<int> want = answer(list);
    const ParsedList got = parse_list(response);
    // Repeats are extra tokens, so F1 against the unique values already charges for them.
    return multiset_f1(got, want) * (0.5 + 0.5 * relative_order_share(got.values, want));
  }
};

class EvensFamily : public TaskFamily {
 public:
  std::string name() const override { return "evens"; }
  std::vector<int> answer(const std::vector<int>& list) const override {
    std::vector<int> kept;
    for (int value : list) {
      if (value % 2 == 0) kept.push_back(value);
    }
    return kept;
  }
  double quality(const std::vector<int>& list, const std::string& response) const override {
    const std::vector<int> want = answer(list);
    const ParsedList got = parse_list(response);
    if (want.empty()) return got.tokens() == 0 ? 1.0 : 0.5 / (1 + got.tokens());
    return multiset_f1(got, want) * (0.5 + 0.5 * relative_order_share(got.values, want));
  }
};

class ReverseFamily : public TaskFamily {
 public:
  std::string name() const override { return "reverse"; }
  std::vector<int> answer(const std::vector<int>& list) const override {
    return std::vector<int>(list.rbegin(), list.rend());
  }
  double quality(const std::vector<int>& list, const std::string& response) const override {
    const std::vector<int> want = answer(list);
    const ParsedList got = parse_list(response);
    // Neighbours of the answer must stay neighbours in the same direction.
    std::set<std::pair<int, int>> pairs;
    for (size_t i = 1; i < want.size(); ++i) pairs.insert({want[i - 1], want[i]});
    const double order = adjacent_share(got.values, [&](int a, int b) {
      return pairs.count({a, b}) > 0;
    });
    return multiset_f1(got, want) * (0.5 + 0.5 * order);
  }
};

class MaxFamily : public TaskFamily {
 public:
  std::string name() const override { return "max"; }
  std::vector<int> answer(const std::vector<int>& list) const override {
    return {*std::max_element(list.begin(), list.end())};
  }
  double quality(const std::vector<int>& list, const std::string& response) const override {
    const ParsedList got = parse_list(response);
    if (got.tokens() != 1 || got.values.empty()) {
      // Not a single number: credit only if the maximum is somewhere in it.
      const int best = answer(list)[0];
      const bool present =
          std::find(got.values.begin(), got.values.end(), best) != got.values.end();
      return present ? 0.5 / got.tokens() : 0.0;
    }
    // A single number: 1 for the maximum, else the share of the list it beats (or equals), less
    // than 1, so a larger member of the list is a better wrong answer.
    const int value = got.values[0];
    if (std::find(list.begin(), list.end(), value) == list.end()) return 0.05;
    const auto beaten = std::count_if(list.begin(), list.end(), [&](int v) { return v <= value; });
    return value == answer(list)[0] ? 1.0 : 0.8 * beaten / static_cast<double>(list.size());
  }
};

// "pairsum: T v1 ... vn": answer two of the values (at two positions, in either order) that add
// up to T. Checking a candidate takes one sum and two lookups; producing one is a search over the
// pairs, so a judge can be right where the policy is not (a verification gap).
class PairSumFamily : public TaskFamily {
 public:
  std::string name() const override { return "pairsum"; }
  // The first pair (i < j, by i then j) of values that adds up to the target.
  std::vector<int> answer(const std::vector<int>& list) const override {
    for (size_t i = 1; i < list.size(); ++i) {
      for (size_t j = i + 1; j < list.size(); ++j) {
        if (list[i] + list[j] == list[0]) return {list[i], list[j]};
      }
    }
    return {};
  }
  bool accepts(const std::vector<int>& list) const override { return !answer(list).empty(); }
  // `length` values (at least 2) and, before them, the sum of two at random positions.
  std::vector<int> sample_list(RngStream& rng, int length, int max_value) const override {
    std::vector<int> values = TaskFamily::sample_list(rng, std::max(2, length), max_value);
    const int count = static_cast<int>(values.size());
    const int first = uniform_int(rng, 0, count - 1);
    const int second = (first + uniform_int(rng, 1, count - 1)) % count;
    values.insert(values.begin(), values[first] + values[second]);
    return values;
  }
  // 1 for two members that add up; two members with the wrong sum 0.2 + 0.3 / |miss| (a near
  // miss is better); the right sum from values not both in the list 0.2; one member 0.1; any
  // other count of numbers at most 0.1, by the share of its tokens that are members.
  double quality(const std::vector<int>& list, const std::string& response) const override {
    if (list.size() < 3) return 0.0;  // no target and two values: not a task of this family
    const ParsedList got = parse_list(response);
    const int members =
        multiset_matches(got.values, std::vector<int>(list.begin() + 1, list.end()));
    if (got.tokens() != 2 || got.values.size() != 2)
      return got.tokens() == 0 ? 0.0 : 0.1 * members / std::max(2, got.tokens());
    const int miss = std::abs(got.values[0] + got.values[1] - list[0]);
    if (members == 2) return miss == 0 ? 1.0 : 0.2 + 0.3 / miss;
    if (miss == 0) return 0.2;
    return 0.1 * members;
  }
};

}  // namespace

std::vector<int> TaskFamily::sample_list(RngStream& rng, int length, int max_value) const {
  std::vector<int> list;
  for (int i = 0; i < length; ++i) list.push_back(uniform_int(rng, 0, max_value));
  return list;
}

const std::vector<const TaskFamily*>& all_families() {
  static const SortFamily sort;
  static const UniqueFamily unique;
  static const EvensFamily evens;
  static const ReverseFamily reverse;
  static const MaxFamily max;
  static const PairSumFamily pairsum;
  static const std::vector<const TaskFamily*> families = {&sort,    &unique, &evens,
                                                          &reverse, &max,    &pairsum};
  return families;
}

const TaskFamily* family_named(const std::string& name) {
  for (const TaskFamily* family : all_families()) {
    if (family->name() == name) return family;
  }
  return nullptr;
}

}  // namespace scir::world
