#include "scir/data/world/int_list.h"

#include <map>
#include <sstream>

namespace scir::world {

std::string format_list(const std::vector<int>& values) {
  std::string text;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) text += ' ';
    text += std::to_string(values[i]);
  }
  return text;
}

ParsedList parse_list(const std::string& text) {
  ParsedList parsed;
  std::istringstream in(text);
  std::string token;
  while (in >> token) {
    const bool digits =
        token.size() <= 6 && token.find_first_not_of("0123456789") == std::string::npos;
    if (digits) {
      parsed.values.push_back(std::stoi(token));
    } else {
      ++parsed.garbage;
    }
  }
  return parsed;
}

int multiset_matches(const std::vector<int>& values, const std::vector<int>& want) {
  std::map<int, int> remaining;
  for (int value : want) ++remaining[value];
  int matched = 0;
  for (int value : values) {
    auto it = remaining.find(value);
    if (it != remaining.end() && it->second > 0) {
      --it->second;
      ++matched;
    }
  }
  return matched;
}

double multiset_f1(const ParsedList& got, const std::vector<int>& want) {
  if (got.tokens() == 0 && want.empty()) return 1.0;
  if (got.tokens() == 0 || want.empty()) return 0.0;
  const int matched = multiset_matches(got.values, want);
  if (matched == 0) return 0.0;
  const double precision = static_cast<double>(matched) / got.tokens();
  const double recall = static_cast<double>(matched) / static_cast<double>(want.size());
  return 2 * precision * recall / (precision + recall);
}

}  // namespace scir::world
