#include "scir/dist/sharding.h"

#include <algorithm>

#include "scir/core/errors.h"

namespace scir {

std::vector<size_t> shard_indices(size_t count, int rank, int size) {
  std::vector<size_t> indices;
  for (size_t i = static_cast<size_t>(rank); i < count; i += static_cast<size_t>(size)) {
    indices.push_back(i);
  }
  return indices;
}

std::vector<std::string> gather_in_item_order(
    Comm& comm, const std::vector<std::pair<size_t, std::string>>& mine) {
  // One message a rank: "<index>\t<text>\n" a record (texts hold no newline: JSON lines).
  std::string packed;
  for (const auto& [index, text] : mine) {
    if (text.find('\n') != std::string::npos) throw InternalError("gathered text holds a newline");
    packed += cat(index, "\t", text, "\n");
  }
  std::vector<std::pair<size_t, std::string>> all;
  for (const std::string& part : all_gather_strings(comm, packed)) {
    size_t start = 0;
    while (start < part.size()) {
      const size_t tab = part.find('\t', start);
      const size_t end = part.find('\n', tab);
      all.emplace_back(std::stoull(part.substr(start, tab - start)),
                       part.substr(tab + 1, end - tab - 1));
      start = end + 1;
    }
  }
  std::sort(all.begin(), all.end());
  std::vector<std::string> texts;
  for (auto& item : all) texts.push_back(std::move(item.second));
  return texts;
}

}  // namespace scir
