// Lists of small integers as the world writes them ("5 3 9 1") and reads any text back: tokens
// separated by spaces, where a token that is not a plain non-negative integer is kept as
// garbage so that it costs precision instead of vanishing.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace scir::world {

struct ParsedList {
  std::vector<int> values;  // the integer tokens, in order
  int garbage = 0;          // tokens that are not integers
  int tokens() const { return static_cast<int>(values.size()) + garbage; }
};

std::string format_list(const std::vector<int>& values);
ParsedList parse_list(const std::string& text);

// How many of `values` can be matched to distinct entries of `want` (a multiset intersection).
int multiset_matches(const std::vector<int>& values, const std::vector<int>& want);
// Multiset F1 of `got` (plus its garbage tokens, which match nothing) against `want`;
// 1 when both are empty.
double multiset_f1(const ParsedList& got, const std::vector<int>& want);
// Share of adjacent pairs (a, b) of `values` for which ordered(a, b) holds; 1 for < 2 values.
template <class Ordered>
double adjacent_share(const std::vector<int>& values, Ordered ordered) {
  if (values.size() < 2) return 1.0;
  int good = 0;
  for (size_t i = 1; i < values.size(); ++i) good += ordered(values[i - 1], values[i]) ? 1 : 0;
  return static_cast<double>(good) / static_cast<double>(values.size() - 1);
}

}  // namespace scir::world
