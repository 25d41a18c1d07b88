#include "scir/tokenizer/bpe_model.h"

#include <cstdio>
#include <limits>

#include "scir/core/errors.h"
#include "scir/tokenizer/json_fields.h"

namespace scir {
namespace {

// The UTF-8 code points of `word`, each as a string (the symbols BPE starts from).
std::vector<std::string> characters(const std::string& word) {
  std::vector<std::string> out;
  for (size_t i = 0; i < word.size();) {
    const unsigned char lead = static_cast<unsigned char>(word[i]);
    const size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    out.push_back(word.substr(i, length));
    i += length;
  }
  return out;
}

std::string merge_key(const std::string& left, const std::string& right) {
  std::string key = left;
  key.push_back('\0');
  return key + right;
}

}  // namespace

BpeModel::BpeModel(const nlohmann::json& model, const std::string& source) : source_(source) {
  const auto field = [&](const char* name) { return cat(source, ": field 'model.", name, "'"); };
  if (!model.is_object()) throw InputError(cat(source, ": field 'model' must be an object"));
  if (model.value("type", nlohmann::json()) != "BPE") {
    throw InputError(cat(field("type"), " is ", model.value("type", nlohmann::json()).dump(),
                         ": only BPE models are implemented (expected \"BPE\")"));
  }
  for (const char* name : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (model.contains(name) && !model[name].is_null() && model[name] != "") {
      throw InputError(cat(field(name), " is ", model[name].dump(),
                           ": subword affixes are not implemented (expected \"\" or null)"));
    }
  }
  if (model.contains("dropout") && !model["dropout"].is_null() && model["dropout"] != 0) {
    throw InputError(cat(field("dropout"), " is ", model["dropout"].dump(),
                         ": BPE dropout is not implemented (expected null)"));
  }
  if (!model.contains("vocab") || !model["vocab"].is_object() || model["vocab"].empty())
    throw InputError(cat(field("vocab"), " must be an object of token: id"));
  for (const auto& [token, id] : model["vocab"].items()) {
    // Ids travel as int32 in run.h5's token columns.
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > INT32_MAX)
      throw InputError(cat(field("vocab"), ": token ", nlohmann::json(token).dump(),
                           " has no id in [0, 2^31 - 1] (", id.dump(), ")"));
    vocabulary_[token] = id.get<int64_t>();
  }
  if (!model.contains("merges") || !model["merges"].is_array())
    throw InputError(cat(field("merges"), " must be a list"));
  int rank = 0;
  for (const nlohmann::json& merge : model["merges"]) {
    // tokenizers writes a merge as "left right" (older files) or as ["left", "right"].
    std::string left, right;
    if (merge.is_string()) {
      const std::string text = merge.get<std::string>();
      const size_t space = text.find(' ', 1);
      if (space == std::string::npos)
        throw InputError(cat(field("merges"), ": ", merge.dump(), " is not \"left right\""));
      left = text.substr(0, space), right = text.substr(space + 1);
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() &&
               merge[1].is_string()) {
      left = merge[0].get<std::string>(), right = merge[1].get<std::string>();
    } else {
      throw InputError(cat(field("merges"), ": ", merge.dump(), " is not a pair of strings"));
    }
    merge_rank_.emplace(merge_key(left, right), rank++);
  }
  ignore_merges_ = field_value(model, "ignore_merges", false, source, "model");
  byte_fallback_ = field_value(model, "byte_fallback", false, source, "model");
  fuse_unknown_ = field_value(model, "fuse_unk", false, source, "model");
  if (model.contains("unk_token") && model["unk_token"].is_string()) {
    const auto found = vocabulary_.find(model["unk_token"].get<std::string>());
    if (found == vocabulary_.end())
      throw InputError(cat(field("unk_token"), " is not in the vocabulary"));
    unknown_id_ = found->second;
  }
}

void BpeModel::encode_word(const std::string& word, std::vector<int64_t>& ids) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    const auto whole = vocabulary_.find(word);
    if (whole != vocabulary_.end()) {
      ids.push_back(whole->second);
      return;
    }
  }
  std::vector<std::string> symbols = characters(word);
  // Merge the adjacent pair of lowest rank until none is in the merge list. Words are short
  // (the pre-tokenizer splits them), so a scan per merge costs little.
  while (symbols.size() > 1) {
    int best_rank = std::numeric_limits<int>::max();
    size_t best = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      const auto found = merge_rank_.find(merge_key(symbols[i], symbols[i + 1]));
      if (found != merge_rank_.end() && found->second < best_rank) {
        best_rank = found->second;
        best = i;
      }
    }
    if (best_rank == std::numeric_limits<int>::max()) break;
    symbols[best] += symbols[best + 1];
    symbols.erase(symbols.begin() + static_cast<std::ptrdiff_t>(best) + 1);
  }
  bool last_was_unknown = false;
  for (const std::string& symbol : symbols) {
    const auto found = vocabulary_.find(symbol);
    if (found != vocabulary_.end()) {
      ids.push_back(found->second);
      last_was_unknown = false;
      continue;
    }
    if (byte_fallback_) {
      bool all_bytes = true;
      std::vector<int64_t> bytes;
      for (unsigned char b : symbol) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        const auto byte = vocabulary_.find(name);
        if (byte == vocabulary_.end()) {
          all_bytes = false;
          break;
        }
        bytes.push_back(byte->second);
      }
      if (all_bytes) {
        ids.insert(ids.end(), bytes.begin(), bytes.end());
        last_was_unknown = false;
        continue;
      }
    }
    if (unknown_id_ < 0) {
      throw InputError(cat(source_, ": the text piece ", nlohmann::json(symbol).dump(),
                           " is not in the vocabulary, which has no unk_token"));
    }
    if (!(fuse_unknown_ && last_was_unknown)) ids.push_back(unknown_id_);
    last_was_unknown = true;
  }
}

}  // namespace scir
