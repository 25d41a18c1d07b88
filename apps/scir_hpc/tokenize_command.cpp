// scir_hpc tokenize: the token ids of texts under a model directory's tokenizer, and the text
// they decode to; with --chat-template, the ids of the prompt a model would be given. For
// checking a tokenizer or a template before a run (rank 0 works alone).
#include "command.h"
#include "scir/core/option_binding.h"
#include "scir/io/jsonl.h"
#include "scir/tokenizer/chat_template.h"
#include "scir/tokenizer/tokenizer.h"

namespace scir::app {
namespace {

void declare(OptionSet& options) {
  options
      .add_required_string("tokenizer",
                           "model directory with tokenizer.json, tokenizer.model or "
                           "scir_tokenizer.json")
      .add_required_string("input", "JSONL file, one text a line in the field --field")
      .add_string("field", "text", "the field that holds the text (text, prompt, ...)")
      .add_string("output", "-", "output JSONL file ('-': stdout)")
      .add_string("chat-template", "none",
                  "none (the text's ids alone), or a template the text is the user's message "
                  "of: plain, mistral, chatml, llama3, model");
}

void run(const OptionSet& options, Comm& comm) {
  if (comm.rank() != 0) return;
  const ChatTemplate chat_template = read_choice(options, "chat-template", chat_template_names());
  const std::string input = options.existing_file("input");
  const std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(options.get_string("tokenizer"));
  if (!tokenizer->has_text()) {
    throw InputError(cat("--tokenizer ", options.get_string("tokenizer"),
                         ": no tokenizer (expected tokenizer.json, tokenizer.model or "
                         "scir_tokenizer.json)"));
  }
  resolve_chat_template(chat_template, *tokenizer);  // 'model' needs one it knows
  std::vector<nlohmann::json> lines;
  const std::string field = options.get_string("field");
  for (const JsonlRecord& record : read_jsonl(input)) {
    const std::string text = string_field(record, input, field.c_str());
    const std::vector<int64_t> ids = chat_template == ChatTemplate::kNone
                                         ? tokenizer->encode(text)
                                         : prompt_ids(*tokenizer, chat_template, text);
    nlohmann::json out = record.value;
    out["ids"] = ids;
    out["decoded"] = tokenizer->decode(ids);
    lines.push_back(std::move(out));
  }
  // Every line is read and encoded before the output is opened: bad input leaves no file.
  JsonlWriter writer(options.get_string("output"));
  for (const nlohmann::json& line : lines) writer.write_line(json_line(line));
  writer.commit();
}

}  // namespace

Command tokenize_command() {
  return {"tokenize", "token ids of texts under a model's tokenizer (JSONL in, JSONL out)", declare,
          run};
}

}  // namespace scir::app
