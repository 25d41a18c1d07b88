// The JSON files of a model directory a tokenizer reads beside its own (tokenizer_config.json,
// config.json), and the special-token ids config.json states.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace scir {

// The file's JSON, null when the file is absent; invalid JSON is an InputError naming it.
nlohmann::json read_json_if_present(const std::filesystem::path& file);
// config.json's `field` (bos_token_id, eos_token_id, pad_token_id): an integer, or the first of
// a list (Llama 3 lists several EOS ids); -1 when absent.
int64_t config_token_id(const nlohmann::json& config, const char* field);

}  // namespace scir
