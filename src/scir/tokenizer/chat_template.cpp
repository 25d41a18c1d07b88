#include "scir/tokenizer/chat_template.h"

#include "scir/core/errors.h"

namespace scir {

const std::vector<std::pair<std::string, ChatTemplate>>& chat_template_names() {
  static const std::vector<std::pair<std::string, ChatTemplate>> names = {
      {"none", ChatTemplate::kNone},
      {"plain", ChatTemplate::kPlain},
      {"mistral", ChatTemplate::kMistralInstruct},
      {"chatml", ChatTemplate::kChatMl},
      {"llama3", ChatTemplate::kLlama3},
      {"model", ChatTemplate::kModel}};
  return names;
}

std::string chat_template_name(ChatTemplate chat_template) {
  for (const auto& [name, known] : chat_template_names())
    if (chat_template == known) return name;
  return "none";
}

std::string render_prompt(ChatTemplate chat_template, const std::string& instruction,
                          const std::string& system) {
  switch (chat_template) {
    case ChatTemplate::kNone:
      return instruction;
    case ChatTemplate::kPlain:
      return instruction + "\n";
    case ChatTemplate::kMistralInstruct:
      return "[INST] " + instruction + " [/INST]";
    case ChatTemplate::kChatMl:
      return (system.empty() ? "" : "<|im_start|>system\n" + system + "<|im_end|>\n") +
             "<|im_start|>user\n" + instruction + "<|im_end|>\n<|im_start|>assistant\n";
    case ChatTemplate::kLlama3: {
      const auto turn = [](const char* role, const std::string& text) {
        return std::string("<|start_header_id|>") + role + "<|end_header_id|>\n\n" + text +
               "<|eot_id|>";
      };
      return (system.empty() ? "" : turn("system", system)) + turn("user", instruction) +
             "<|start_header_id|>assistant<|end_header_id|>\n\n";
    }
    case ChatTemplate::kModel:
      break;
  }
  throw InternalError("render_prompt: the model's template must be resolved first");
}

ChatTemplate resolve_chat_template(ChatTemplate chat_template, const Tokenizer& tokenizer) {
  if (chat_template != ChatTemplate::kModel) return chat_template;
  const std::string text = tokenizer.chat_template_text();
  if (text.find("<|im_start|>") != std::string::npos) return ChatTemplate::kChatMl;
  if (text.find("<|start_header_id|>") != std::string::npos) return ChatTemplate::kLlama3;
  if (text.find("[INST]") != std::string::npos) return ChatTemplate::kMistralInstruct;
  throw InputError(cat("chat template 'model': the model's tokenizer ", tokenizer.describe(),
                       text.empty() ? " has no chat template"
                                    : " has a chat template of none of the families chatml, "
                                      "llama3 or mistral",
                       " (expected one, or a chat template given by name)"));
}

std::string default_system_message(const std::string& template_text) {
  const std::pair<std::string, std::string> turns[] = {
      {"<|im_start|>system\n", "<|im_end|>"},
      {"<|start_header_id|>system<|end_header_id|>\n\n", "<|eot_id|>"}};
  for (const auto& [opening, closing] : turns) {
    for (size_t at = template_text.find(opening); at != std::string::npos;
         at = template_text.find(opening, at + 1)) {
      const size_t begin = at + opening.size();
      const size_t end = template_text.find(closing, begin);
      if (end == std::string::npos) break;
      const std::string message = template_text.substr(begin, end - begin);
      // Literal text only: a message built from variables or Jinja is not a default.
      if (!message.empty() && message.find_first_of("'\"{}+") == std::string::npos) return message;
    }
  }
  return "";
}

std::vector<int64_t> prompt_ids(const Tokenizer& tokenizer, ChatTemplate chat_template,
                                const std::string& instruction) {
  const bool own = chat_template == ChatTemplate::kModel;
  const ChatTemplate resolved = resolve_chat_template(chat_template, tokenizer);
  const std::string system = own ? default_system_message(tokenizer.chat_template_text()) : "";
  std::vector<int64_t> ids;
  if (tokenizer.prepends_bos()) ids.push_back(tokenizer.bos_id());
  const std::vector<int64_t> text = tokenizer.encode(render_prompt(resolved, instruction, system));
  ids.insert(ids.end(), text.begin(), text.end());
  return ids;
}

}  // namespace scir
