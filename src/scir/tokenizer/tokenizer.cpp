#include "scir/tokenizer/tokenizer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "scir/core/errors.h"
#include "scir/tokenizer/byte_tokenizer.h"
#include "scir/tokenizer/ids_only_tokenizer.h"
#include "scir/tokenizer/model_files.h"
#include "scir/tokenizer/sentencepiece_tokenizer.h"
#ifdef SCIR_HAVE_HF_TOKENIZER
#include "scir/tokenizer/hf_tokenizer.h"
#endif

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

namespace {

// config.json's vocabulary and special ids, for a directory without a tokenizer.
std::unique_ptr<Tokenizer> ids_only_tokenizer(const std::string& model_dir) {
  const nlohmann::json config = read_json_if_present(fs::path(model_dir) / "config.json");
  if (!config.is_object() || !config.contains("vocab_size") ||
      !config["vocab_size"].is_number_integer()) {
    throw InputError(cat(model_dir, ": no tokenizer and no config.json vocab_size"));
  }
  const auto id = [&](const char* name, int64_t fallback) {
    const int64_t value = config_token_id(config, name);
    return value >= 0 ? value : fallback;
  };
  const int64_t eos = id("eos_token_id", 2);
  return std::make_unique<IdsOnlyTokenizer>(model_dir, config["vocab_size"].get<int64_t>(),
                                            id("bos_token_id", 1), eos, id("pad_token_id", eos));
}

std::unique_ptr<Tokenizer> load_text_tokenizer(const std::string& model_dir) {
  const fs::path sentencepiece = fs::path(model_dir) / "tokenizer.model";
  if (fs::exists(sentencepiece)) {
    return std::make_unique<SentencePieceTokenizer>(sentencepiece.string());
  }
  if (fs::exists(fs::path(model_dir) / "tokenizer.json")) {
#ifdef SCIR_HAVE_HF_TOKENIZER
    return HfTokenizer::from_directory(model_dir);
#else
    throw InputError(cat(model_dir, "/tokenizer.json: this build has no tokenizer.json support ",
                         "(PCRE2 was not found when it was configured)"));
#endif
  }
  const fs::path byte_file = fs::path(model_dir) / "scir_tokenizer.json";
  std::ifstream file(byte_file);
  if (!file) return ids_only_tokenizer(model_dir);
  const nlohmann::json description = nlohmann::json::parse(file, nullptr, false);
  if (description.is_discarded() || !description.is_object() ||
      description.value("type", nlohmann::json()) != "byte") {
    throw InputError(cat(byte_file.string(), ": expected {\"type\": \"byte\"}"));
  }
  return std::make_unique<ByteTokenizer>();
}

}  // namespace

std::vector<int64_t> Tokenizer::stop_ids() const {
  std::vector<int64_t> ids = {eos_id()};
  for (int64_t id : more_stop_ids_)
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  return ids;
}

void Tokenizer::add_stop_ids(const std::vector<int64_t>& ids) {
  more_stop_ids_.insert(more_stop_ids_.end(), ids.begin(), ids.end());
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& model_dir) {
  std::unique_ptr<Tokenizer> tokenizer = load_text_tokenizer(model_dir);
  for (const char* file : {"config.json", "generation_config.json"})
    tokenizer->add_stop_ids(listed_eos_ids(fs::path(model_dir) / file, tokenizer->vocab_size()));
  return tokenizer;
}

void save_tokenizer(const Tokenizer& tokenizer, const std::string& model_dir) {
  if (!tokenizer.has_text()) return;  // the directory had none: it gets none
  if (const auto* sentencepiece = dynamic_cast<const SentencePieceTokenizer*>(&tokenizer)) {
    const fs::path target = fs::path(model_dir) / "tokenizer.model";
    if (fs::absolute(sentencepiece->path()) != fs::absolute(target)) {
      fs::copy_file(sentencepiece->path(), target, fs::copy_options::overwrite_existing);
    }
    return;
  }
#ifdef SCIR_HAVE_HF_TOKENIZER
  if (const auto* hf = dynamic_cast<const HfTokenizer*>(&tokenizer)) {
    std::ofstream(fs::path(model_dir) / "tokenizer.json") << hf->json().dump() << "\n";
    if (!hf->chat_template_text().empty())
      std::ofstream(fs::path(model_dir) / "chat_template.jinja") << hf->chat_template_text();
    std::ofstream(fs::path(model_dir) / "tokenizer_config.json")
        << nlohmann::json{{"bos_token", hf->token_text(hf->bos_id())},
                          {"eos_token", hf->token_text(hf->eos_id())},
                          {"pad_token", hf->token_text(hf->pad_id())},
                          {"tokenizer_class", "PreTrainedTokenizerFast"}}
               .dump(2)
        << "\n";
    return;
  }
#endif
  std::ofstream(fs::path(model_dir) / "scir_tokenizer.json")
      << nlohmann::json{{"type", "byte"}, {"vocab_size", tokenizer.vocab_size()}}.dump(2) << "\n";
}

}  // namespace scir
