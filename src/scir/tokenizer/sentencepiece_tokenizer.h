// A SentencePiece tokenizer.model (Llama-2, Mistral), through the plugin described in
// sentencepiece_plugin_api.h.
#pragma once

#include <memory>

#include "scir/tokenizer/tokenizer.h"

namespace scir {

class SentencePiecePlugin;

class SentencePieceTokenizer : public Tokenizer {
 public:
  // An unreadable or malformed file is an InputError naming it.
  explicit SentencePieceTokenizer(const std::string& model_path);
  ~SentencePieceTokenizer() override;

  std::vector<int64_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  int64_t vocab_size() const override { return vocab_size_; }
  int64_t bos_id() const override { return bos_; }
  int64_t eos_id() const override { return eos_; }
  // Llama-2 and Mistral define no pad piece; padding then uses EOS (masked out anyway).
  int64_t pad_id() const override { return pad_ >= 0 ? pad_ : eos_; }
  std::string describe() const override;
  const std::string& path() const { return path_; }

  // Trains a model with SentencePiece's trainer (flags as its command line takes them).
  static void train(const std::string& flags);

 private:
  std::string path_;
  const SentencePiecePlugin& plugin_;
  void* processor_ = nullptr;
  int64_t vocab_size_ = 0, bos_ = -1, eos_ = -1, pad_ = -1, unk_ = -1;
};

}  // namespace scir
