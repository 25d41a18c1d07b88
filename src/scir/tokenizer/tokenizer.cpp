#include "scir/tokenizer/tokenizer.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "scir/core/errors.h"
#include "scir/tokenizer/byte_tokenizer.h"
#include "scir/tokenizer/sentencepiece_tokenizer.h"

namespace scir {

namespace fs = std::filesystem;

int64_t Tokenizer::single_token_id(const std::string& text) const {
  const std::vector<int64_t> ids = encode(text);
  if (ids.size() != 1) {
    throw InputError(
        cat("tokenizer ", describe(), ": '", text, "' must be one token, it is ", ids.size()));
  }
  return ids[0];
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& model_dir) {
  const fs::path sentencepiece = fs::path(model_dir) / "tokenizer.model";
  if (fs::exists(sentencepiece)) {
    return std::make_unique<SentencePieceTokenizer>(sentencepiece.string());
  }
  const fs::path byte_file = fs::path(model_dir) / "scir_tokenizer.json";
  std::ifstream file(byte_file);
  if (!file) {
    throw InputError(
        cat(model_dir, ": no tokenizer (expected tokenizer.model or ", "scir_tokenizer.json)"));
  }
  const nlohmann::json description = nlohmann::json::parse(file, nullptr, false);
  if (description.is_discarded() || !description.is_object() ||
      description.value("type", "") != "byte") {
    throw InputError(cat(byte_file.string(), ": expected {\"type\": \"byte\"}"));
  }
  return std::make_unique<ByteTokenizer>();
}

void save_tokenizer(const Tokenizer& tokenizer, const std::string& model_dir) {
  if (const auto* sentencepiece = dynamic_cast<const SentencePieceTokenizer*>(&tokenizer)) {
    const fs::path target = fs::path(model_dir) / "tokenizer.model";
    if (fs::absolute(sentencepiece->path()) != fs::absolute(target)) {
      fs::copy_file(sentencepiece->path(), target, fs::copy_options::overwrite_existing);
    }
    return;
  }
  std::ofstream(fs::path(model_dir) / "scir_tokenizer.json")
      << nlohmann::json{{"type", "byte"}, {"vocab_size", tokenizer.vocab_size()}}.dump(2) << "\n";
}

}  // namespace scir
