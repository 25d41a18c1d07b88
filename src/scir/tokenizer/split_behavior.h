// What a Split pre-tokenizer keeps of a text cut at its pattern's matches, by tokenizers'
// SplitDelimiterBehavior: every piece (Isolated), the text between matches (Removed), a match
// joined to the piece before it (MergedWithPrevious) or after it (MergedWithNext), or runs of
// matches as one piece (Contiguous). `invert` swaps matches and the text between them first.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "scir/tokenizer/regex_split.h"

namespace scir {

enum class SplitBehavior { kIsolated, kRemoved, kMergedWithPrevious, kMergedWithNext, kContiguous };

// tokenizer.json's names of the behaviours.
const std::vector<std::pair<std::string, SplitBehavior>>& split_behavior_names();

// The pieces the behaviour makes of `pieces` (a text's matches and gaps in order, empty matches
// included, as RegexSplit gives them); empty pieces are left out, as tokenizers drops them.
std::vector<std::string> apply_split_behavior(std::vector<RegexSplit::Piece> pieces,
                                              SplitBehavior behavior, bool invert);

}  // namespace scir
