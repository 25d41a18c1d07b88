#include "scir/data/text_records.h"

#include "scir/core/errors.h"
#include "scir/core/hashing.h"
#include "scir/io/jsonl.h"

namespace scir {
namespace {

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
  return prompt_ids(encoding.tokenizer, encoding.chat_template,
                    string_field(record, path, "prompt"));
}

}  // namespace

std::vector<std::string> read_prompt_texts(const std::string& path) {
  std::vector<std::string> prompts;
  for (const JsonlRecord& record : read_jsonl(path))
    prompts.push_back(string_field(record, path, "prompt"));
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
  for (const JsonlRecord& record : read_jsonl(path)) {
    PromptRecord item;
    if (!record.value.contains("id"))
      throw InputError(cat(path, ":", record.line, ": missing field 'id'"));
    item.id = record.value["id"];
    item.key = item.id.is_number_unsigned() ? item.id.get<uint64_t>() : stable_hash(item.id.dump());
    item.prompt = prompt_of(record, path, encoding);
    records.push_back(std::move(item));
  }
  return records;
}

}  // namespace scir
