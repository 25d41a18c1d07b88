#include "scir/data/lm_examples.h"

#include "scir/io/jsonl.h"

namespace scir {

std::vector<PromptResponse> read_lm_examples(const std::vector<std::string>& paths,
                                             const Tokenizer& tokenizer, ChatTemplate chat_template,
                                             LossTokens loss_tokens) {
  std::vector<PromptResponse> examples;
  for (const std::string& path : paths) {
    for (const JsonlRecord& record : read_jsonl(path)) {
      PromptResponse example;
      example.prompt = prompt_ids(tokenizer, chat_template, string_field(record, path, "prompt"));
      example.response = tokenizer.encode(string_field(record, path, "response"));
      example.response.push_back(tokenizer.eos_id());
      if (loss_tokens == LossTokens::kAllTokens) {
        // Everything after BOS carries loss: move the prompt text into the response.
        example.response.insert(example.response.begin(), example.prompt.begin() + 1,
                                example.prompt.end());
        example.prompt.resize(1);
      }
      examples.push_back(std::move(example));
    }
  }
  return examples;
}

}  // namespace scir
