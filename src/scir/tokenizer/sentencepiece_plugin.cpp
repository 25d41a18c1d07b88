// The SentencePiece plugin: the only code that links libsentencepiece.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstring>
#include <string>
#include <vector>

#include "scir/tokenizer/sentencepiece_plugin_api.h"

namespace {

int fail(const std::string& message, char* error, size_t error_size) {
  if (error && error_size > 0) {
    std::strncpy(error, message.c_str(), error_size - 1);
    error[error_size - 1] = '\0';
  }
  return 1;
}

}  // namespace

extern "C" {

void* scir_spm_load(const char* model_path, char* error, size_t error_size) {
  auto* processor = new sentencepiece::SentencePieceProcessor();
  const auto status = processor->Load(model_path);
  if (!status.ok()) {
    fail(status.ToString(), error, error_size);
    delete processor;
    return nullptr;
  }
  return processor;
}

void scir_spm_free(void* processor) {
  delete static_cast<sentencepiece::SentencePieceProcessor*>(processor);
}

int scir_spm_encode(void* processor, const char* text, size_t text_size, int64_t* out,
                    size_t capacity, size_t* count, char* error, size_t error_size) {
  std::vector<int> ids;
  const auto status = static_cast<sentencepiece::SentencePieceProcessor*>(processor)->Encode(
      std::string(text, text_size), &ids);
  if (!status.ok()) return fail(status.ToString(), error, error_size);
  *count = ids.size();
  for (size_t i = 0; i < ids.size() && i < capacity; ++i) out[i] = ids[i];
  return 0;
}

int scir_spm_decode(void* processor, const int64_t* ids, size_t id_count, char* out,
                    size_t capacity, size_t* length, char* error, size_t error_size) {
  const std::vector<int> pieces(ids, ids + id_count);
  std::string text;
  const auto status =
      static_cast<sentencepiece::SentencePieceProcessor*>(processor)->Decode(pieces, &text);
  if (!status.ok()) return fail(status.ToString(), error, error_size);
  *length = text.size();
  std::memcpy(out, text.data(), std::min(capacity, text.size()));
  return 0;
}

void scir_spm_ids(void* processor, int64_t* vocab_size, int64_t* bos, int64_t* eos, int64_t* pad,
                  int64_t* unk) {
  const auto* model = static_cast<sentencepiece::SentencePieceProcessor*>(processor);
  *vocab_size = model->GetPieceSize();
  *bos = model->bos_id();
  *eos = model->eos_id();
  *pad = model->pad_id();
  *unk = model->unk_id();
}

int scir_spm_train(const char* flags, char* error, size_t error_size) {
  const auto status = sentencepiece::SentencePieceTrainer::Train(flags);
  if (!status.ok()) return fail(status.ToString(), error, error_size);
  return 0;
}

}  // extern "C"
