// Held-out pairs labelled by an external judge (the oracle in the embedded world):
// JSONL lines {"prompt", "response_a", "response_b", "q_a", "q_b"}.
#pragma once

#include <string>
#include <vector>

namespace scir {

struct LabelledPair {
  std::string instruction, response_a, response_b;
  double q_a = 0, q_b = 0;
};

std::vector<LabelledPair> read_labelled_pairs(const std::string& path);

}  // namespace scir
