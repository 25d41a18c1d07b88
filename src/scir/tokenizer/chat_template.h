// How an instruction becomes the prompt the model continues: none (the text as it is), plain
// (the text and a newline), Mistral-instruct "[INST] ... [/INST]", ChatML (Qwen, SmolLM:
// "<|im_start|>user\n...<|im_end|>\n<|im_start|>assistant\n"), Llama 3's headers
// ("<|start_header_id|>user<|end_header_id|>\n\n...<|eot_id|>" and the assistant's header), or
// the model's own template when it is one of these families. BOS is added here (as an id, where
// the tokenizer's prompts start with it), never as text.
#pragma once

#include <string>
#include <vector>

#include "scir/tokenizer/tokenizer.h"

namespace scir {

enum class ChatTemplate { kNone, kPlain, kMistralInstruct, kChatMl, kLlama3, kModel };

// "none", "plain", "mistral", "chatml", "llama3" or "model"; anything else is an InputError
// naming `option`.
// The templates by name ("none", "plain", "mistral", "chatml", "llama3", "model").
const std::vector<std::pair<std::string, ChatTemplate>>& chat_template_names();
std::string chat_template_name(ChatTemplate chat_template);

// The prompt text around an instruction, after a system message when `system` is not empty
// (ChatML and Llama 3 only). kModel must be resolved first.
std::string render_prompt(ChatTemplate chat_template, const std::string& instruction,
                          const std::string& system = "");
// kModel as the family of the tokenizer's own chat template (a Jinja text from
// tokenizer_config.json or chat_template.jinja); other templates as they are. An InputError when
// the model's template is missing or of no family here.
ChatTemplate resolve_chat_template(ChatTemplate chat_template, const Tokenizer& tokenizer);
// The system message a ChatML or Llama 3 template writes when the conversation has none, if
// the template states it as literal text (SmolLM2's and Qwen 2.5's do); "" otherwise.
std::string default_system_message(const std::string& template_text);
// BOS (where the tokenizer's prompts start with it) + the rendered prompt's ids; with kModel the
// model's template family and its default system message, as transformers'
// apply_chat_template(add_generation_prompt=True) renders one user message.
std::vector<int64_t> prompt_ids(const Tokenizer& tokenizer, ChatTemplate chat_template,
                                const std::string& instruction);

}  // namespace scir
