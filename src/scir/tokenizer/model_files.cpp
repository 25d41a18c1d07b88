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

}  // namespace scir
