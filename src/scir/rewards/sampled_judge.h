// The judge as SRLM ran it (Yuan et al. 2024): the model writes a judgement of one response
// from the pointwise template (a justification that ends in a score), sampled several times;
// the score is read from each judgement with a configurable regular expression (its first
// group) and the parsed scores are averaged. Judgements the expression does not match count as
// parse failures; a response none of whose judgements parse has no score (NaN).
#pragma once

#include <regex>
#include <string>
#include <vector>

#include "scir/data/judge_template.h"
#include "scir/model/generation.h"
#include "scir/model/transformer.h"
#include "scir/tokenizer/chat_template.h"
#include "scir/tokenizer/tokenizer.h"

namespace scir {

struct SampledJudgeSettings {
  int judgements = 3;                              // samples a response, averaged
  std::string score_pattern = "Score: ([0-9.]+)";  // first group = the score
  SamplingOptions sampling;                        // temperature, top-p, length of a judgement
  int64_t batch_size = 16;                         // judgements a generation batch
};

struct SampledScores {
  std::vector<double> scores;  // mean parsed score a response, NaN when none parsed
  int64_t judgements = 0;      // judgements written
  int64_t parse_failures = 0;  // of those, how many gave no score
};

// The compiled pattern; an InputError naming `option` when it is not a valid regular
// expression with at least one group.
// What a score pattern lacks ("a regular expression (...)", "a group around the score"), or ""
// when it is one; compile_score_pattern throws an InternalError for a pattern that lacks one.
std::string score_pattern_problem(const std::string& pattern);
std::regex compile_score_pattern(const std::string& pattern);

// The score in one judgement: the pattern's first group, parsed as a finite number; false when
// the pattern does not match or the group is not a number.
bool parse_judgement_score(const std::string& judgement, const std::regex& pattern, double* score);

// Scores response i of (instructions[i], responses[i]). `stream_ids[i]` keys its judgements'
// random streams (with the judgement's index), so scores do not depend on batching or rank.
SampledScores sampled_judge_scores(Transformer& model, const Tokenizer& tokenizer,
                                   ChatTemplate chat_template, const JudgeTemplate& judge_template,
                                   const std::vector<std::string>& instructions,
                                   const std::vector<std::string>& responses,
                                   const std::vector<uint64_t>& stream_ids,
                                   const SampledJudgeSettings& settings);

}  // namespace scir
