#include "scir/tokenizer/split_behavior.h"

#include <algorithm>

namespace scir {

const std::vector<std::pair<std::string, SplitBehavior>>& split_behavior_names() {
  static const std::vector<std::pair<std::string, SplitBehavior>> names = {
      {"Isolated", SplitBehavior::kIsolated},
      {"Removed", SplitBehavior::kRemoved},
      {"MergedWithPrevious", SplitBehavior::kMergedWithPrevious},
      {"MergedWithNext", SplitBehavior::kMergedWithNext},
      {"Contiguous", SplitBehavior::kContiguous}};
  return names;
}

namespace {

// A match (or, for Contiguous, any piece like the one before it) goes into the piece before it:
// the fold tokenizers makes over the pieces, from the front, or from the back for
// MergedWithNext (then "before" is "after").
std::vector<std::string> merge(const std::vector<RegexSplit::Piece>& pieces, bool contiguous,
                               bool from_back) {
  std::vector<std::string> merged;
  bool previous_matched = false;
  for (size_t k = 0; k < pieces.size(); ++k) {
    const RegexSplit::Piece& piece = pieces[from_back ? pieces.size() - 1 - k : k];
    const bool joins =
        contiguous ? piece.matched == previous_matched : piece.matched && !previous_matched;
    if (joins && !merged.empty()) {
      merged.back() = from_back ? piece.text + merged.back() : merged.back() + piece.text;
    } else {
      merged.push_back(piece.text);
    }
    previous_matched = piece.matched;
  }
  if (from_back) std::reverse(merged.begin(), merged.end());
  return merged;
}

}  // namespace

std::vector<std::string> apply_split_behavior(std::vector<RegexSplit::Piece> pieces,
                                              SplitBehavior behavior, bool invert) {
  if (invert)
    for (RegexSplit::Piece& piece : pieces) piece.matched = !piece.matched;
  std::vector<std::string> kept;
  switch (behavior) {
    case SplitBehavior::kIsolated:
    case SplitBehavior::kRemoved:
      for (RegexSplit::Piece& piece : pieces)
        if (behavior == SplitBehavior::kIsolated || !piece.matched)
          kept.push_back(std::move(piece.text));
      break;
    case SplitBehavior::kMergedWithPrevious:
      kept = merge(pieces, false, false);
      break;
    case SplitBehavior::kMergedWithNext:
      kept = merge(pieces, false, true);
      break;
    case SplitBehavior::kContiguous:
      kept = merge(pieces, true, false);
      break;
  }
  kept.erase(std::remove_if(kept.begin(), kept.end(),
                            [](const std::string& text) { return text.empty(); }),
             kept.end());
  return kept;
}

}  // namespace scir
