// One token a byte (ids 0-255) plus BOS, EOS and PAD: lossless for any text, no vocabulary file.
#pragma once

#include "scir/tokenizer/tokenizer.h"

namespace scir {

class ByteTokenizer : public Tokenizer {
 public:
  static constexpr int64_t kBos = 256;
  static constexpr int64_t kEos = 257;
  static constexpr int64_t kPad = 258;
  static constexpr int64_t kVocabSize = 259;

  std::vector<int64_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  int64_t vocab_size() const override { return kVocabSize; }
  int64_t bos_id() const override { return kBos; }
  int64_t eos_id() const override { return kEos; }
  int64_t pad_id() const override { return kPad; }
  std::string describe() const override { return "byte (256 bytes + BOS, EOS, PAD)"; }
};

}  // namespace scir
