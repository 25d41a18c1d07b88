// Text <-> token ids. The embedded world uses ByteTokenizer; real checkpoints use
// SentencePieceTokenizer (Llama-2 / Mistral tokenizer.model).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace scir {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Ids of the text alone: no BOS or EOS added.
  virtual std::vector<int64_t> encode(const std::string& text) const = 0;
  // Special tokens (BOS, EOS, PAD) are skipped.
  virtual std::string decode(const std::vector<int64_t>& ids) const = 0;
  virtual int64_t vocab_size() const = 0;
  virtual int64_t bos_id() const = 0;
  virtual int64_t eos_id() const = 0;
  virtual int64_t pad_id() const = 0;
  // The id of a text that must be exactly one token (a judge's verdict "A", a score "3");
  // an InputError when it is not.
  int64_t single_token_id(const std::string& text) const;
  // A short description for logs and run.h5 /provenance.
  virtual std::string describe() const = 0;
};

// Loads the tokenizer of a checkpoint directory: tokenizer.model (SentencePiece) when present,
// else scir_tokenizer.json naming the byte tokenizer.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& model_dir);
// Writes the files that load_tokenizer reads back for this tokenizer into model_dir.
void save_tokenizer(const Tokenizer& tokenizer, const std::string& model_dir);

}  // namespace scir
