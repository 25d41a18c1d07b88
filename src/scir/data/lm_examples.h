// Next-token training examples from JSONL lines {"prompt", "response"}. SFT puts the loss on
// the response (and its EOS) only; pretraining on every token after BOS, the prompt included.
#pragma once

#include <string>
#include <vector>

#include "scir/model/sequence_logprobs.h"
#include "scir/tokenizer/chat_template.h"
#include "scir/tokenizer/tokenizer.h"

namespace scir {

enum class LossTokens { kResponseOnly, kAllTokens };

// Reads every file (a malformed line is an InputError with file and line).
std::vector<PromptResponse> read_lm_examples(const std::vector<std::string>& paths,
                                             const Tokenizer& tokenizer, ChatTemplate chat_template,
                                             LossTokens loss_tokens);

}  // namespace scir
