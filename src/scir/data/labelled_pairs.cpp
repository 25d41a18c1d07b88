#include "scir/data/labelled_pairs.h"

#include "scir/core/errors.h"
#include "scir/io/jsonl.h"

namespace scir {

std::vector<LabelledPair> read_labelled_pairs(const std::string& path) {
  std::vector<LabelledPair> pairs;
  for (const JsonlRecord& record : read_jsonl(path)) {
    LabelledPair pair;
    pair.instruction = string_field(record, path, "prompt");
    pair.response_a = string_field(record, path, "response_a");
    pair.response_b = string_field(record, path, "response_b");
    for (const auto& [field, target] :
         {std::pair<const char*, double*>{"q_a", &pair.q_a}, {"q_b", &pair.q_b}}) {
      if (!record.value.contains(field) || !record.value[field].is_number()) {
        throw InputError(cat(path, ":", record.line, ": field '", field, "' must be a number"));
      }
      *target = record.value[field].get<double>();
    }
    pairs.push_back(std::move(pair));
  }
  return pairs;
}

}  // namespace scir
