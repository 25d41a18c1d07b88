// Pairs of a model's own samples scored by the world's oracle: the pairs a self-rewarding
// iteration asks the judge to label. Used to measure the judge where it matters and to build
// judge training data from the seed model's own mistakes.
#pragma once

#include <string>
#include <vector>

#include "scir/data/world/world.h"
#include "scir/model/generation.h"
#include "scir/tokenizer/chat_template.h"
#include "scir/tokenizer/tokenizer.h"

namespace scir {

struct ScoredSamplePair {
  size_t prompt;  // index into the prompts given
  std::string first, second;
  double q_first, q_second;
};

// Samples `samples` responses to each prompts[i] for i in `indices` (sampling.seed and the
// prompt index pick each sample's stream) and keeps, per prompt, every pair of distinct texts
// that the oracle scores differently, in sample order.
std::vector<ScoredSamplePair> own_sample_pairs(Transformer& model, const Tokenizer& tokenizer,
                                               ChatTemplate chat_template,
                                               const world::World& world,
                                               const std::vector<std::string>& prompts,
                                               const std::vector<size_t>& indices, int samples,
                                               const SamplingOptions& sampling, int64_t batch_size);

}  // namespace scir
