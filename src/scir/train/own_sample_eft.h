// Judge training data from the seed model's own mistakes: the model samples responses to
// prompts of its own (RUN/data/judge_prompts.jsonl), the oracle scores them, and every pair of
// distinct, differently scored samples becomes two EFT records (both orders), exactly as the
// world's eft.jsonl. The corruption process behind eft.jsonl rarely makes the mistakes the
// model makes, and a judge trained only on it was near chance on the model's own pairs.
#pragma once

#include <string>
#include <vector>

#include "scir/data/judge_template.h"
#include "scir/data/world/world.h"
#include "scir/dist/process_grid.h"
#include "scir/model/generation.h"
#include "scir/tokenizer/tokenizer.h"

namespace scir {

struct OwnSampleEftSettings {
  int samples = 4;  // a prompt
  SamplingOptions sampling;
  int64_t batch_size = 32;  // prompts a generation batch
};

// Each model copy samples its share of the prompts (the grid's data group); the job's rank 0
// writes the records to `path` in prompt order. Returns the number of pairs (on every rank).
int64_t write_own_sample_eft(const ProcessGrid& grid, Transformer& model,
                             const Tokenizer& tokenizer, const world::World& world,
                             const JudgeTemplate& pairwise, const std::vector<std::string>& prompts,
                             const OwnSampleEftSettings& settings, const std::string& path);

}  // namespace scir
