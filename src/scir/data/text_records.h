// The JSONL inputs of `scir_hpc score` and `scir_hpc generate`, turned into token ids. Text
// fields go through the chat template and tokenizer; id fields are taken as given and checked
// against the vocabulary.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "scir/model/sequence_logprobs.h"
#include "scir/tokenizer/chat_template.h"
#include "scir/tokenizer/tokenizer.h"

namespace scir {

// {"prompt": str, "response": str} or {"prompt_ids": [int], "response_ids": [int]}.
struct ScoreRecord {
  nlohmann::json source;  // the input line, echoed in the output
  PromptResponse ids;
};

// {"id": any, "prompt": str} or {"id": any, "prompt_ids": [int]}.
struct PromptRecord {
  nlohmann::json id;
  uint64_t key = 0;  // the id as a number for random streams (a hash of a string id)
  std::vector<int64_t> prompt;
};

struct TextEncoding {
  const Tokenizer& tokenizer;
  ChatTemplate chat_template;
  int64_t vocab_size;       // of the model: ids at or past it are rejected
  bool append_eos = false;  // to text responses
};

// The "prompt" field of every line, checked (prompt pools, evaluation prompts).
std::vector<std::string> read_prompt_texts(const std::string& path);

std::vector<ScoreRecord> read_score_records(const std::string& path, const TextEncoding& encoding);
std::vector<PromptRecord> read_prompt_records(const std::string& path,
                                              const TextEncoding& encoding);

}  // namespace scir
