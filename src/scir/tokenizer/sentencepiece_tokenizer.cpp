#include "scir/tokenizer/sentencepiece_tokenizer.h"

#include <dlfcn.h>

#include "scir/core/errors.h"
#include "scir/tokenizer/sentencepiece_plugin_api.h"

namespace scir {

// The plugin's functions, opened once per process. A namespace of its own (dlmopen) isolates
// its protobuf; RTLD_DEEPBIND would too, but then its libstdc++ references bypass the copy
// relocations of std::cout and std::cerr in our executables and write to uninitialised streams.
class SentencePiecePlugin {
 public:
  static const SentencePiecePlugin& get() {
    static const SentencePiecePlugin plugin;
    return plugin;
  }
  decltype(&scir_spm_load) load;
  decltype(&scir_spm_free) free;
  decltype(&scir_spm_encode) encode;
  decltype(&scir_spm_decode) decode;
  decltype(&scir_spm_ids) ids;
  decltype(&scir_spm_train) train;

 private:
  SentencePiecePlugin() {
    const char* override_path = std::getenv("SCIR_SENTENCEPIECE_PLUGIN");
    const std::string path = override_path ? override_path : SCIR_SENTENCEPIECE_PLUGIN;
    handle_ = dlmopen(LM_ID_NEWLM, path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw InternalError(cat("cannot open the SentencePiece plugin: ", dlerror()));
    load = symbol<decltype(load)>("scir_spm_load");
    free = symbol<decltype(free)>("scir_spm_free");
    encode = symbol<decltype(encode)>("scir_spm_encode");
    decode = symbol<decltype(decode)>("scir_spm_decode");
    ids = symbol<decltype(ids)>("scir_spm_ids");
    train = symbol<decltype(train)>("scir_spm_train");
  }
  template <class Function>
  Function symbol(const char* name) {
    void* address = dlsym(handle_, name);
    if (!address) throw InternalError(cat("SentencePiece plugin lacks ", name));
    return reinterpret_cast<Function>(address);
  }
  void* handle_ = nullptr;
};

namespace {
constexpr size_t kErrorSize = 512;
}

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& model_path)
    : path_(model_path), plugin_(SentencePiecePlugin::get()) {
  char error[kErrorSize] = {0};
  processor_ = plugin_.load(model_path.c_str(), error, kErrorSize);
  if (!processor_) {
    throw InputError(cat(model_path, ": not a readable SentencePiece model (", error, ")"));
  }
  plugin_.ids(processor_, &vocab_size_, &bos_, &eos_, &pad_, &unk_);
  if (bos_ < 0 || eos_ < 0) {
    throw InputError(cat(model_path, ": the SentencePiece model defines no BOS or EOS piece"));
  }
}

SentencePieceTokenizer::~SentencePieceTokenizer() {
  if (processor_) plugin_.free(processor_);
}

std::vector<int64_t> SentencePieceTokenizer::encode(const std::string& text) const {
  std::vector<int64_t> ids(text.size() + 8);
  size_t count = 0;
  char error[kErrorSize] = {0};
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (plugin_.encode(processor_, text.data(), text.size(), ids.data(), ids.size(), &count, error,
                       kErrorSize) != 0) {
      throw InternalError(cat("SentencePiece encode failed: ", error));
    }
    if (count <= ids.size()) break;
    ids.resize(count);
  }
  ids.resize(count);
  return ids;
}

std::string SentencePieceTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::vector<int64_t> kept;
  for (int64_t id : ids) {
    if (id != bos_ && id != eos_ && id != pad_ && id >= 0 && id < vocab_size_) kept.push_back(id);
  }
  std::string text(kept.size() * 8 + 16, '\0');
  size_t length = 0;
  char error[kErrorSize] = {0};
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (plugin_.decode(processor_, kept.data(), kept.size(), text.data(), text.size(), &length,
                       error, kErrorSize) != 0) {
      throw InternalError(cat("SentencePiece decode failed: ", error));
    }
    if (length <= text.size()) break;
    text.resize(length);
  }
  text.resize(length);
  return text;
}

std::string SentencePieceTokenizer::describe() const {
  return cat("sentencepiece ", path_, " (", vocab_size_, " pieces)");
}

void SentencePieceTokenizer::train(const std::string& flags) {
  char error[kErrorSize] = {0};
  if (SentencePiecePlugin::get().train(flags.c_str(), error, kErrorSize) != 0) {
    throw InputError(cat("SentencePiece training failed: ", error));
  }
}

}  // namespace scir
