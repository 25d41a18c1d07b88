#include "scir/tokenizer/model_files.h"

#include <fstream>

#include "scir/core/errors.h"

namespace scir {

nlohmann::json read_json_if_present(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return nlohmann::json();
  nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded()) throw InputError(cat(file.string(), ": invalid JSON"));
  return json;
}

int64_t config_token_id(const nlohmann::json& config, const char* field) {
  if (!config.is_object() || !config.contains(field)) return -1;
  nlohmann::json id = config[field];
  if (id.is_array() && !id.empty()) id = id[0];
  return id.is_number_integer() ? id.get<int64_t>() : -1;
}

std::vector<int64_t> listed_eos_ids(const std::filesystem::path& file, int64_t vocab_size) {
  const nlohmann::json config = read_json_if_present(file);
  if (!config.is_object() || !config.contains("eos_token_id") || config["eos_token_id"].is_null())
    return {};
  const nlohmann::json& field = config["eos_token_id"];
  std::vector<int64_t> ids;
  for (const nlohmann::json& id : field.is_array() ? field : nlohmann::json::array({field})) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() >= vocab_size)
      throw InputError(cat(file.string(), ": field 'eos_token_id' holds ", id.dump(),
                           " (expected token ids below the vocabulary size ", vocab_size, ")"));
    ids.push_back(id.get<int64_t>());
  }
  return ids;
}

}  // namespace scir
