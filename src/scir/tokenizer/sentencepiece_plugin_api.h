// The C interface of the SentencePiece plugin (libscir_sentencepiece.so). The plugin is opened
// with dlmopen in a link-map namespace of its own, because libsentencepiece carries its own
// protobuf (3.14), which must not meet LibTorch's (3.21; docs/ARCHITECTURE.md). Only plain data
// crosses the boundary: buffers are the caller's, so no memory changes allocator. Functions
// return 0 on success; on failure they write a message into `error` (error_size bytes at most).
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {
void* scir_spm_load(const char* model_path, char* error, size_t error_size);
void scir_spm_free(void* processor);
// Writes up to capacity ids into out and the full count into *count (call again with more room
// when *count > capacity).
int scir_spm_encode(void* processor, const char* text, size_t text_size, int64_t* out,
                    size_t capacity, size_t* count, char* error, size_t error_size);
// Writes up to capacity bytes into out and the full length into *length.
int scir_spm_decode(void* processor, const int64_t* ids, size_t id_count, char* out,
                    size_t capacity, size_t* length, char* error, size_t error_size);
// vocab size, bos, eos, pad, unk ids (-1 where the model has none).
void scir_spm_ids(void* processor, int64_t* vocab_size, int64_t* bos, int64_t* eos, int64_t* pad,
                  int64_t* unk);
// SentencePieceTrainer::Train with a flag string ("--input=... --model_prefix=...").
int scir_spm_train(const char* flags, char* error, size_t error_size);
}
