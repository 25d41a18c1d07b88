#include "scir/data/text_records.h"

#include <map>

#include "scir/core/errors.h"
#include "scir/core/hashing.h"
#include "scir/io/jsonl.h"

namespace scir {
namespace {

// A prompt with no text would be sampled and judged as if it asked something.
std::string non_empty_prompt(const JsonlRecord& record, const std::string& path) {
  std::string prompt = string_field(record, path, "prompt");
  if (prompt.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw InputError(cat(path, ":", record.line, ": field 'prompt': expected a non-empty text"));
  }
  return prompt;
}

// Ids name a prompt's samples and their random streams: two lines with one id would be
// indistinguishable in every output.
class UniqueIds {
 public:
  explicit UniqueIds(std::string path) : path_(std::move(path)) {}
  void add(const JsonlRecord& record) {
    const std::string id = record.value["id"].dump();
    const auto [seen, fresh] = lines_.emplace(id, record.line);
    if (!fresh) {
      throw InputError(cat(path_, ":", record.line, ": field 'id': ", id, " is the id of line ",
                           seen->second, " too (expected unique ids)"));
    }
  }

 private:
  std::string path_;
  std::map<std::string, int64_t> lines_;
};

void check_vocabulary(const std::vector<int64_t>& ids, const JsonlRecord& record,
                      const std::string& path, const char* field, int64_t vocab_size) {
  for (int64_t id : ids) {
    if (id < 0 || id >= vocab_size) {
      throw InputError(cat(path, ":", record.line, ": field '", field, "' holds id ", id,
                           " outside the vocabulary of ", vocab_size));
    }
  }
}

std::vector<int64_t> prompt_of(const JsonlRecord& record, const std::string& path,
                               const TextEncoding& encoding) {
  if (record.value.contains("prompt_ids")) {
    std::vector<int64_t> ids = ids_field(record, path, "prompt_ids");
    check_vocabulary(ids, record, path, "prompt_ids", encoding.vocab_size);
    if (ids.empty()) throw InputError(cat(path, ":", record.line, ": field 'prompt_ids' is empty"));
    return ids;
  }
  if (!record.value.contains("prompt")) {
    throw InputError(cat(path, ":", record.line, ": missing field 'prompt' (or 'prompt_ids')"));
  }
  return prompt_ids(encoding.tokenizer, encoding.chat_template, non_empty_prompt(record, path));
}

}  // namespace

std::vector<std::string> read_prompt_texts(const std::string& path) {
  std::vector<std::string> prompts;
  UniqueIds ids(path);
  for (const JsonlRecord& record : read_jsonl(path)) {
    if (record.value.contains("id")) ids.add(record);
    prompts.push_back(non_empty_prompt(record, path));
  }
  return prompts;
}

std::vector<ScoreRecord> read_score_records(const std::string& path, const TextEncoding& encoding) {
  std::vector<ScoreRecord> records;
  for (const JsonlRecord& record : read_jsonl(path)) {
    ScoreRecord item;
    item.source = record.value;
    item.ids.prompt = prompt_of(record, path, encoding);
    if (record.value.contains("response_ids")) {
      item.ids.response = ids_field(record, path, "response_ids");
      check_vocabulary(item.ids.response, record, path, "response_ids", encoding.vocab_size);
    } else {
      if (!record.value.contains("response")) {
        throw InputError(
            cat(path, ":", record.line, ": missing field 'response' (or 'response_ids')"));
      }
      item.ids.response = encoding.tokenizer.encode(string_field(record, path, "response"));
      if (encoding.append_eos) item.ids.response.push_back(encoding.tokenizer.eos_id());
    }
    records.push_back(std::move(item));
  }
  return records;
}

std::vector<PromptRecord> read_prompt_records(const std::string& path,
                                              const TextEncoding& encoding) {
  std::vector<PromptRecord> records;
  UniqueIds ids(path);
  for (const JsonlRecord& record : read_jsonl(path)) {
    PromptRecord item;
    if (!record.value.contains("id"))
      throw InputError(cat(path, ":", record.line, ": missing field 'id'"));
    ids.add(record);
    item.id = record.value["id"];
    item.key = item.id.is_number_unsigned() ? item.id.get<uint64_t>() : stable_hash(item.id.dump());
    item.prompt = prompt_of(record, path, encoding);
    records.push_back(std::move(item));
  }
  return records;
}

}  // namespace scir
