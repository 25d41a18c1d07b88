// How work items are spread over ranks, and how per-item results come back in item order.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "scir/dist/comm.h"

namespace scir {

// Items i with i % size == rank: balanced to within one item, whatever the item count.
std::vector<size_t> shard_indices(size_t count, int rank, int size);

// Every rank passes (item index, text) for its items; every rank gets all texts in item order.
std::vector<std::string> gather_in_item_order(
    Comm& comm, const std::vector<std::pair<size_t, std::string>>& mine);

}  // namespace scir
