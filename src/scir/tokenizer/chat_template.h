// How an instruction becomes the prompt the model continues: none (the text as it is), plain
// (the text and a newline), or Mistral-instruct "[INST] ... [/INST]". BOS is added here (as an
// id), never as text.
#pragma once

#include <string>
#include <vector>

#include "scir/tokenizer/tokenizer.h"

namespace scir {

enum class ChatTemplate { kNone, kPlain, kMistralInstruct };

// "none", "plain" or "mistral"; anything else is an InputError naming `option`.
ChatTemplate parse_chat_template(const std::string& name, const std::string& option);
std::string chat_template_name(ChatTemplate chat_template);

// The prompt text around an instruction.
std::string render_prompt(ChatTemplate chat_template, const std::string& instruction);
// BOS (where the tokenizer's prompts start with it) + the rendered prompt's ids.
std::vector<int64_t> prompt_ids(const Tokenizer& tokenizer, ChatTemplate chat_template,
                                const std::string& instruction);

}  // namespace scir
