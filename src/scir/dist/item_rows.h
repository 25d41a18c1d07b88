// Rows that ranks hold for items of one global list (the pairs of an iteration, say), moved as
// typed tensors: numbers as float64, token sequences as int64 ids with their lengths. No text
// goes over the wire: a receiver that needs a sequence's text decodes its ids.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "scir/dist/comm.h"

namespace scir {

struct ItemRows {
  std::vector<int64_t> items;                                       // a row's item index
  std::map<std::string, std::vector<double>> numbers;               // a value a row
  std::map<std::string, std::vector<std::vector<int64_t>>> tokens;  // a sequence a row

  size_t size() const { return items.size(); }
};

// Every rank passes its rows (every rank the same column names; a rank may pass none) and gets
// every rank's rows, sorted by item index. Three all-gathers, whatever the column count.
ItemRows all_gather_item_rows(Comm& comm, const ItemRows& mine);

}  // namespace scir
