// The embedded world's data sets, each from its own random stream and with no instruction
// shared between any two of them, written as JSONL a user can read (the same formats a user
// supplies for a real model):
//   corpus.jsonl         {"prompt", "response"}: M0's pretraining text, responses of mixed
//                        quality (correct with probability p_correct, else 1-3 corruptions)
//   ift.jsonl            {"prompt", "response"}: seed instruction data, correct responses
//   eft.jsonl            {"prompt", "response"}: judge prompts (pairwise template, both orders
//                        of each pair) with the oracle's verdict "A" or "B"; a pair is a
//                        corrupted response against the reference (share eft_p_correct) or
//                        against another corrupted one; plus the fields
//                        instruction, response_a, response_b, q_a, q_b
//   pool_<t>.jsonl       {"id", "prompt"}: prompts of self-rewarding iteration t (fresh per t)
//   eval_prompts.jsonl   {"id", "prompt"}: held-out evaluation prompts
//   heldout_pairs.jsonl  {"prompt", "response_a", "response_b", "q_a", "q_b"}: oracle-labelled
//                        pairs for reward-model accuracy (never a tie)
//   judge_prompts.jsonl  {"id", "prompt"}: prompts whose samples from the seed model become
//                        judge training data (only when judge_prompts > 0; drawn last, so the
//                        other files do not depend on it)
//   finish_prompts.jsonl {"id", "prompt"}: prompts of M1's finish (only when finish_prompts > 0;
//                        drawn after the judge prompts, for the same reason)
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <string>

#include "scir/data/judge_template.h"
#include "scir/data/world/world.h"

namespace scir::world {

struct DatasetSizes {
  int corpus = 6000;
  int ift = 1500;
  int eft_pairs = 1500;  // each written in both orders
  int pool = 256;        // prompts an iteration
  int iterations = 2;
  int eval_prompts = 200;
  int heldout_pairs = 300;
  double p_correct = 0.3;      // share of correct responses in the corpus
  double eft_p_correct = 0.5;  // share of EFT and held-out pairs with one correct response
  int eft_pointwise = 0;       // pointwise EFT examples (score 0-5 = round(5 q)), in eft.jsonl
  int judge_prompts = 0;       // prompts for EFT pairs of the seed model's own samples
  int finish_prompts = 0;      // prompts of M1's finish (pipeline/m1_finish.h)
};

// The two EFT records (judge prompt in the pairwise template, oracle verdict "A" or "B", and
// the fields instruction, response_a, response_b, q_a, q_b) of a pair: as given, then swapped.
std::array<nlohmann::json, 2> pairwise_eft_records(const JudgeTemplate& pairwise,
                                                   const std::string& instruction,
                                                   const std::string& first,
                                                   const std::string& second, double q_first,
                                                   double q_second);

// Writes the files above into `directory` (created if missing). An instruction space too small
// for the requested disjoint sizes is an InputError.
// `pointwise` is needed when sizes.eft_pointwise > 0.
void write_world_datasets(const World& world, const JudgeTemplate& pairwise,
                          const DatasetSizes& sizes, uint64_t seed, const std::string& directory,
                          const JudgeTemplate* pointwise = nullptr);

// Ids of the data sets' random streams (RngStream::derive(seed, {kStream..., ...})).
enum DatasetStream : uint64_t {
  kStreamCorpus = 1,
  kStreamIft,
  kStreamEft,
  kStreamPool,
  kStreamEval,
  kStreamHeldout,
  kStreamEftPointwise,
  kStreamJudgePrompts,
  kStreamFinishPrompts
};

}  // namespace scir::world
