// A Hugging Face tokenizers tokenizer.json: added and special tokens matched before anything
// else, the normalizer, the pre-tokenizer, the BPE model and the decoder. Implemented: the
// byte-level BPE of GPT-2, SmolLM, Llama 3 and Qwen (ByteLevel, Split by their regular
// expressions) and the SentencePiece-style BPE of Llama 2 and Mistral (Metaspace or the
// Prepend/Replace normalizer, byte fallback), with NFC/NFKC normalizers (Qwen's). Anything else
// is refused by name when the file is read, never approximated.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "scir/tokenizer/tokenizer.h"

namespace scir {

// BOS, EOS and PAD as tokenizer_config.json names them (or config.json's ids).
struct SpecialTokenIds {
  int64_t bos = -1, eos = -1, pad = -1;
};

class HfTokenizer : public Tokenizer {
 public:
  // `json` is tokenizer.json's content, `source` its path for messages.
  HfTokenizer(const nlohmann::json& json, const std::string& source, SpecialTokenIds special,
              std::string chat_template = "");
  ~HfTokenizer() override;
  // tokenizer.json in `model_dir`, with BOS/EOS/PAD from tokenizer_config.json or config.json,
  // and the chat template from tokenizer_config.json or chat_template.jinja.
  static std::unique_ptr<HfTokenizer> from_directory(const std::string& model_dir);

  std::vector<int64_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  int64_t vocab_size() const override { return vocab_size_; }
  int64_t bos_id() const override { return special_.bos; }
  int64_t eos_id() const override { return special_.eos; }
  int64_t pad_id() const override { return special_.pad; }
  bool prepends_bos() const override { return prepends_bos_; }
  std::string chat_template_text() const override { return chat_template_; }
  std::string describe() const override;
  // The id of an added or vocabulary token, if there is one.
  std::optional<int64_t> token_id(const std::string& token) const;
  // The text of a token id ("" for an id without one).
  std::string token_text(int64_t id) const;
  // tokenizer.json as read, for writing a model directory back.
  const nlohmann::json& json() const { return json_; }

 private:
  static std::unique_ptr<HfTokenizer> read_directory(const std::string& model_dir);
  struct Pipeline;
  std::unique_ptr<Pipeline> pipeline_;
  nlohmann::json json_;
  std::string source_;
  SpecialTokenIds special_;
  std::string chat_template_;
  int64_t vocab_size_ = 0;
  bool prepends_bos_ = false;
};

}  // namespace scir
