// The JSON files of a model directory a tokenizer reads beside its own (tokenizer_config.json,
// config.json), and the special-token ids config.json states.
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

namespace scir {

// The file's JSON, null when the file is absent; invalid JSON is an InputError naming it.
nlohmann::json read_json_if_present(const std::filesystem::path& file);
// config.json's `field` (bos_token_id, eos_token_id, pad_token_id): an integer, or the first of
// a list (Llama 3 lists several EOS ids); -1 when absent.
int64_t config_token_id(const nlohmann::json& config, const char* field);
// Every id of the eos_token_id field of `file` (config.json, generation_config.json), which may
// be an integer or a list; none when the file or field is absent. An id that is not an integer
// in [0, vocab_size) is an InputError naming the file and field.
std::vector<int64_t> listed_eos_ids(const std::filesystem::path& file, int64_t vocab_size);

}  // namespace scir
