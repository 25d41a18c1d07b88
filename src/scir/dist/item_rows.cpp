#include "scir/dist/item_rows.h"

#include <algorithm>

#include "scir/core/errors.h"

namespace scir {
namespace {

// Column names must match on every rank, or the packed rows would be read as other columns.
void check_same_columns(Comm& comm, const ItemRows& mine) {
  std::string names;
  for (const auto& [name, values] : mine.numbers) {
    if (values.size() != mine.size())
      throw InternalError(
          cat("item rows: column ", name, " has ", values.size(), " rows, not ", mine.size()));
    names += "n:" + name + "\n";
  }
  for (const auto& [name, sequences] : mine.tokens) {
    if (sequences.size() != mine.size())
      throw InternalError(
          cat("item rows: column ", name, " has ", sequences.size(), " rows, not ", mine.size()));
    names += "t:" + name + "\n";
  }
  for (const std::string& other : all_gather_strings(comm, names)) {
    if (other != names) throw InternalError("item rows: ranks differ in columns");
  }
}

}  // namespace

ItemRows all_gather_item_rows(Comm& comm, const ItemRows& mine) {
  check_same_columns(comm, mine);
  const int64_t rows = static_cast<int64_t>(mine.size());
  const int64_t number_columns = static_cast<int64_t>(mine.numbers.size());
  const int64_t token_columns = static_cast<int64_t>(mine.tokens.size());
  // A row's header: its item, then the length of each of its sequences.
  std::vector<int64_t> header, ids;
  std::vector<double> numbers;
  for (int64_t r = 0; r < rows; ++r) {
    header.push_back(mine.items[r]);
    for (const auto& [name, sequences] : mine.tokens) {
      header.push_back(static_cast<int64_t>(sequences[r].size()));
      ids.insert(ids.end(), sequences[r].begin(), sequences[r].end());
    }
    for (const auto& [name, values] : mine.numbers) numbers.push_back(values[r]);
  }
  const std::vector<torch::Tensor> headers = comm.all_gather_varied(
      torch::tensor(header, torch::kLong).reshape({rows, 1 + token_columns}));
  const std::vector<torch::Tensor> values = comm.all_gather_varied(
      torch::tensor(numbers, torch::kDouble).reshape({rows, number_columns}));
  const std::vector<torch::Tensor> sequences =
      comm.all_gather_varied(torch::tensor(ids, torch::kLong));

  // Unpack in rank order, then order the rows by item (a stable sort: ties keep rank order).
  struct Row {
    int64_t item;
    const double* values;
    std::vector<std::vector<int64_t>> sequences;
  };
  std::vector<Row> all;
  std::vector<torch::Tensor> kept_values;  // owns the memory the rows point into
  for (size_t rank = 0; rank < headers.size(); ++rank) {
    const torch::Tensor rank_header = headers[rank].contiguous();
    kept_values.push_back(values[rank].contiguous());
    const torch::Tensor rank_ids = sequences[rank].contiguous();
    const int64_t* head = rank_header.data_ptr<int64_t>();
    const double* value = kept_values.back().data_ptr<double>();
    const int64_t* id = rank_ids.data_ptr<int64_t>();
    for (int64_t r = 0; r < rank_header.size(0); ++r) {
      Row row{*head++, value, {}};
      value += number_columns;
      for (int64_t c = 0; c < token_columns; ++c) {
        const int64_t length = *head++;
        row.sequences.emplace_back(id, id + length);
        id += length;
      }
      all.push_back(std::move(row));
    }
  }
  std::stable_sort(all.begin(), all.end(),
                   [](const Row& a, const Row& b) { return a.item < b.item; });
  ItemRows sorted;
  for (const auto& [name, unused] : mine.numbers) sorted.numbers[name] = {};
  for (const auto& [name, unused] : mine.tokens) sorted.tokens[name] = {};
  for (Row& row : all) {
    sorted.items.push_back(row.item);
    size_t c = 0;
    for (auto& [name, column] : sorted.numbers) column.push_back(row.values[c++]);
    c = 0;
    for (auto& [name, column] : sorted.tokens) column.push_back(std::move(row.sequences[c++]));
  }
  return sorted;
}

}  // namespace scir
