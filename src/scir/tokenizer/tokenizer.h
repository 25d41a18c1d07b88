// Text <-> token ids. The embedded world uses ByteTokenizer; real checkpoints use
// SentencePieceTokenizer (Llama-2 / Mistral tokenizer.model) or HfTokenizer (tokenizer.json).
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
  // The model's own chat template (Jinja, as transformers keeps it), "" when it has none.
  virtual std::string chat_template_text() const { return ""; }
  // False for a model directory without a tokenizer: only token ids can be used.
  virtual bool has_text() const { return true; }
  // Whether a prompt starts with BOS (SentencePiece models; a tokenizer.json says it with its
  // post-processor: Llama 3 does, SmolLM and Qwen do not).
  virtual bool prepends_bos() const { return true; }
  // The id of a text that must be exactly one token (a judge's verdict "A", a score "3");
  // an InputError when it is not.
  int64_t single_token_id(const std::string& text) const;
  // A short description for logs and run.h5 /provenance.
  virtual std::string describe() const = 0;

  // The ids that end a response: EOS, then the further ones a model directory lists (Llama 3
  // Instruct's config.json and generation_config.json name <|eot_id|> beside <|end_of_text|>).
  std::vector<int64_t> stop_ids() const;
  void add_stop_ids(const std::vector<int64_t>& ids);

 private:
  std::vector<int64_t> more_stop_ids_;
};

// Loads the tokenizer of a checkpoint directory: tokenizer.model (SentencePiece) when present,
// else tokenizer.json (Hugging Face tokenizers' BPE), else scir_tokenizer.json naming the byte
// tokenizer; with none of them, a tokenizer of ids alone (BOS, EOS, PAD from config.json). The
// eos_token_id lists of config.json and generation_config.json add stop ids.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& model_dir);
// Writes the files that load_tokenizer reads back for this tokenizer into model_dir (the stop
// ids go into generation_config.json with the model, see save_hf_model).
void save_tokenizer(const Tokenizer& tokenizer, const std::string& model_dir);

}  // namespace scir
