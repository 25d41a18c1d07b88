#include "scir/tokenizer/chat_template.h"

#include "scir/core/errors.h"

namespace scir {

ChatTemplate parse_chat_template(const std::string& name, const std::string& option) {
  if (name == "none") return ChatTemplate::kNone;
  if (name == "plain") return ChatTemplate::kPlain;
  if (name == "mistral") return ChatTemplate::kMistralInstruct;
  throw InputError("option '--" + option + "': expected none, plain or mistral, got '" + name +
                   "'");
}

std::string chat_template_name(ChatTemplate chat_template) {
  switch (chat_template) {
    case ChatTemplate::kNone:
      return "none";
    case ChatTemplate::kPlain:
      return "plain";
    case ChatTemplate::kMistralInstruct:
      return "mistral";
  }
  return "none";
}

std::string render_prompt(ChatTemplate chat_template, const std::string& instruction) {
  switch (chat_template) {
    case ChatTemplate::kNone:
      return instruction;
    case ChatTemplate::kPlain:
      return instruction + "\n";
    case ChatTemplate::kMistralInstruct:
      return "[INST] " + instruction + " [/INST]";
  }
  return instruction;
}

std::vector<int64_t> prompt_ids(const Tokenizer& tokenizer, ChatTemplate chat_template,
                                const std::string& instruction) {
  std::vector<int64_t> ids;
  if (tokenizer.prepends_bos()) ids.push_back(tokenizer.bos_id());
  const std::vector<int64_t> text = tokenizer.encode(render_prompt(chat_template, instruction));
  ids.insert(ids.end(), text.begin(), text.end());
  return ids;
}

}  // namespace scir
