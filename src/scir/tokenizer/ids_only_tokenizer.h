// The tokenizer of a model directory that has none: token ids pass (score, generate and eval
// given prompt_ids / response_ids), text is refused with a line that names the directory.
// BOS, EOS and PAD come from config.json.
#pragma once

#include "scir/tokenizer/tokenizer.h"

namespace scir {

class IdsOnlyTokenizer : public Tokenizer {
 public:
  IdsOnlyTokenizer(std::string model_dir, int64_t vocab_size, int64_t bos, int64_t eos, int64_t pad)
      : model_dir_(std::move(model_dir)),
        vocab_size_(vocab_size),
        bos_(bos),
        eos_(eos),
        pad_(pad) {}
  std::vector<int64_t> encode(const std::string& text) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  bool has_text() const override { return false; }
  int64_t vocab_size() const override { return vocab_size_; }
  int64_t bos_id() const override { return bos_; }
  int64_t eos_id() const override { return eos_; }
  int64_t pad_id() const override { return pad_; }
  std::string describe() const override { return "none (token ids only)"; }

 private:
  std::string model_dir_;
  int64_t vocab_size_, bos_, eos_, pad_;
};

}  // namespace scir
