// A byte-pair-encoding model as tokenizers' tokenizer.json states it: a vocabulary, merges in
// priority order, and what to do with a piece the vocabulary lacks (byte fallback to <0xXX>
// tokens, or an unknown token).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

namespace scir {

class BpeModel {
 public:
  // `model` is tokenizer.json's "model" object; an unsupported or inconsistent one is an
  // InputError naming `source` and the field.
  BpeModel(const nlohmann::json& model, const std::string& source);

  // The ids of one pre-tokenized word (its characters as the vocabulary writes them).
  void encode_word(const std::string& word, std::vector<int64_t>& ids) const;

  const std::unordered_map<std::string, int64_t>& vocabulary() const { return vocabulary_; }
  bool byte_fallback() const { return byte_fallback_; }

 private:
  std::unordered_map<std::string, int64_t> vocabulary_;
  std::unordered_map<std::string, int> merge_rank_;  // left + '\0' + right -> priority
  bool ignore_merges_ = false;
  bool byte_fallback_ = false;
  bool fuse_unknown_ = false;
  int64_t unknown_id_ = -1;
  std::string source_;
};

}  // namespace scir
