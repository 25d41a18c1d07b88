#include "scir/tokenizer/hf_tokenizer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "scir/core/errors.h"
#include "scir/core/json_errors.h"
#include "scir/tokenizer/bpe_model.h"
#include "scir/tokenizer/byte_level.h"
#include "scir/tokenizer/json_fields.h"
#include "scir/tokenizer/model_files.h"
#include "scir/tokenizer/regex_split.h"
#include "scir/tokenizer/split_behavior.h"
#include "scir/tokenizer/unicode_normalization.h"

namespace scir {
namespace fs = std::filesystem;
namespace {

struct AddedToken {
  std::string content;
  int64_t id;
  bool special;
};

// A segment of the input between added tokens, and whether it starts the input (Metaspace's
// prepend_scheme "first" prepends only there).
struct Segment {
  std::string text;
  bool at_start;
};

struct NormalizerStep {
  enum class Kind { kPrepend, kReplace, kNfc, kNfkc } kind;
  std::string from, to;  // Prepend: `to` only
};

struct PreTokenizerStep {
  enum class Kind { kSplit, kByteLevel, kMetaspace } kind;
  std::shared_ptr<RegexSplit> regex;                  // Split, and ByteLevel with use_regex
  SplitBehavior behavior = SplitBehavior::kIsolated;  // Split (Digits and ByteLevel isolate)
  bool invert = false;                                // Split
  bool add_prefix_space = false;                      // ByteLevel
  std::string replacement;                            // Metaspace
  std::string prepend_scheme;                         // Metaspace: always, first or never
  bool split = true;                                  // Metaspace
};

struct DecoderStep {
  enum class Kind { kByteLevel, kReplace, kByteFallback, kFuse, kStrip, kMetaspace } kind;
  std::string from, to;  // Replace; Strip: `from` is the content; Metaspace: the replacement
  int start = 0, stop = 0;
  bool prepended = true;  // Metaspace: whether encoding prepended the replacement
};

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  if (from.empty()) return text;
  std::string out;
  size_t at = 0;
  for (size_t found; (found = text.find(from, at)) != std::string::npos; at = found + from.size())
    out += text.substr(at, found - at) + to;
  return out + text.substr(at);
}

bool valid_utf8(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    const size_t length = lead < 0x80   ? 1
                          : lead < 0xC2 ? 0
                          : lead < 0xE0 ? 2
                          : lead < 0xF0 ? 3
                          : lead < 0xF5 ? 4
                                        : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k)
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    i += length;
  }
  return true;
}

// One component's "type", or a refusal naming the field.
std::string type_of(const nlohmann::json& component, const std::string& source,
                    const std::string& field) {
  if (!component.is_object() || !component.contains("type") || !component["type"].is_string())
    throw InputError(cat(source, ": field '", field, "' must be an object with a \"type\""));
  return component["type"].get<std::string>();
}

[[noreturn]] void refuse(const std::string& source, const std::string& field,
                         const std::string& value, const std::string& implemented) {
  throw InputError(cat(source, ": field '", field, "' is ", value, ": not implemented (expected ",
                       implemented, ")"));
}

// A component and, for a Sequence, the ones inside it, in order.
std::vector<std::pair<nlohmann::json, std::string>> flatten(const nlohmann::json& component,
                                                            const std::string& source,
                                                            const std::string& field,
                                                            const char* list_name) {
  std::vector<std::pair<nlohmann::json, std::string>> out;
  if (component.is_null()) return out;
  if (type_of(component, source, field) != "Sequence") return {{component, field}};
  if (!component.contains(list_name) || !component[list_name].is_array())
    throw InputError(cat(source, ": field '", field, ".", list_name, "' must be a list"));
  for (size_t i = 0; i < component[list_name].size(); ++i) {
    const auto inner = flatten(component[list_name][i], source,
                               cat(field, ".", list_name, "[", i, "]"), list_name);
    out.insert(out.end(), inner.begin(), inner.end());
  }
  return out;
}

std::string string_pattern(const nlohmann::json& step, const std::string& source,
                           const std::string& field) {
  if (step.contains("pattern") && step["pattern"].is_object() &&
      step["pattern"].contains("String") && step["pattern"]["String"].is_string())
    return step["pattern"]["String"].get<std::string>();
  throw InputError(cat(source, ": field '", field, ".pattern' must be {\"String\": ...}"));
}

}  // namespace

struct HfTokenizer::Pipeline {
  explicit Pipeline(const nlohmann::json& json, const std::string& source)
      : model(json.contains("model") ? json["model"] : nlohmann::json(), source) {}
  BpeModel model;
  std::vector<AddedToken> added;  // longest first, so the longest match wins
  std::vector<NormalizerStep> normalizers;
  std::vector<PreTokenizerStep> pre_tokenizers;
  std::vector<DecoderStep> decoders;
  bool byte_level = false;  // words map to GPT-2's byte alphabet before BPE
  std::map<int64_t, std::string> tokens;
  std::map<int64_t, bool> special;

  // The text between added tokens; `added_at` gets each added token's id with the number of
  // segments before it.
  std::vector<Segment> split_added(const std::string& text,
                                   std::vector<std::pair<size_t, int64_t>>& added_at) const;
  std::vector<std::string> words(const Segment& segment) const;
};

HfTokenizer::HfTokenizer(const nlohmann::json& json, const std::string& source,
                         SpecialTokenIds special, std::string chat_template)
    : json_(json), source_(source), special_(special), chat_template_(std::move(chat_template)) {
  if (!json.is_object()) throw InputError(cat(source, ": expected a tokenizer.json object"));
  pipeline_ = std::make_unique<Pipeline>(json, source);
  Pipeline& p = *pipeline_;
  for (const auto& [token, id] : p.model.vocabulary()) p.tokens[id] = token;

  if (json.contains("added_tokens") && json["added_tokens"].is_array()) {
    for (size_t i = 0; i < json["added_tokens"].size(); ++i) {
      const nlohmann::json& token = json["added_tokens"][i];
      const std::string field = cat("added_tokens[", i, "]");
      if (!token.is_object() || !token.contains("content") || !token["content"].is_string() ||
          !token.contains("id") || !token["id"].is_number_integer())
        throw InputError(cat(source, ": field '", field, "' must have a content and an id"));
      for (const char* flag : {"single_word", "lstrip", "rstrip"}) {
        if (field_value(token, flag, false, source, field))
          refuse(source, cat(field, ".", flag), "true", "false: the flag is not implemented");
      }
      const bool normalized = field_value(token, "normalized", false, source, field);
      if (normalized && json.contains("normalizer") && !json["normalizer"].is_null())
        refuse(source, cat(field, ".normalized"), "true", "false beside a normalizer");
      AddedToken added{token["content"].get<std::string>(), token["id"].get<int64_t>(),
                       field_value(token, "special", false, source, field)};
      if (added.content.empty()) throw InputError(cat(source, ": field '", field, "' is empty"));
      // Ids travel as int32 in run.h5's token columns.
      if (added.id < 0 || added.id > INT32_MAX) {
        throw InputError(cat(source, ": field '", field, ".id' is ", added.id,
                             " (expected a token id in [0, 2^31 - 1])"));
      }
      p.tokens[added.id] = added.content;
      p.special[added.id] = added.special;
      p.added.push_back(added);
    }
  }
  std::stable_sort(p.added.begin(), p.added.end(), [](const AddedToken& a, const AddedToken& b) {
    return a.content.size() > b.content.size();
  });

  const nlohmann::json none;
  for (const auto& [step, field] :
       flatten(json.value("normalizer", none), source, "normalizer", "normalizers")) {
    const std::string type = type_of(step, source, field);
    if (type == "Prepend" && step.contains("prepend") && step["prepend"].is_string()) {
      p.normalizers.push_back({NormalizerStep::Kind::kPrepend, "", step["prepend"]});
    } else if (type == "Replace") {
      p.normalizers.push_back({NormalizerStep::Kind::kReplace, string_pattern(step, source, field),
                               field_value(step, "content", "", source, field)});
    } else if (type == "NFC" || type == "NFKC") {
      p.normalizers.push_back(
          {type == "NFC" ? NormalizerStep::Kind::kNfc : NormalizerStep::Kind::kNfkc, "", ""});
    } else {
      refuse(source, cat(field, ".type"), nlohmann::json(type).dump(),
             "Prepend, Replace, NFC or NFKC");
    }
  }

  for (const auto& [step, field] :
       flatten(json.value("pre_tokenizer", none), source, "pre_tokenizer", "pretokenizers")) {
    const std::string type = type_of(step, source, field);
    PreTokenizerStep pre;
    if (type == "Split") {
      pre.kind = PreTokenizerStep::Kind::kSplit;
      pre.invert = field_value(step, "invert", false, source, field);
      const nlohmann::json behavior = step.value("behavior", none);
      bool known = false;
      for (const auto& [name, value] : split_behavior_names()) {
        if (behavior.is_string() && behavior.get<std::string>() == name) {
          pre.behavior = value;
          known = true;
        }
      }
      if (!known) {
        refuse(source, cat(field, ".behavior"), behavior.dump(),
               "Isolated, Removed, MergedWithPrevious, MergedWithNext or Contiguous");
      }
      const nlohmann::json pattern = step.value("pattern", none);
      const std::string where = cat(source, ": field '", field, ".pattern'");
      if (pattern.is_object() && pattern.contains("Regex") && pattern["Regex"].is_string()) {
        pre.regex = std::make_shared<RegexSplit>(pattern["Regex"].get<std::string>(), where);
      } else if (pattern.is_object() && pattern.contains("String") &&
                 pattern["String"].is_string() && !pattern["String"].get<std::string>().empty()) {
        // A String pattern matches its text literally: quoted, \E inside it split off.
        const std::string literal =
            replace_all(pattern["String"].get<std::string>(), "\\E", "\\E\\\\E\\Q");
        pre.regex = std::make_shared<RegexSplit>("\\Q" + literal + "\\E", where);
      } else {
        throw InputError(cat(where, " must be {\"Regex\": ...} or a non-empty {\"String\": ...}"));
      }
    } else if (type == "Digits") {
      // The tokenizers package isolates each numeric character (Unicode categories Nd, Nl, No)
      // or each run of them; an isolating split on \p{N} is the same cut.
      pre.kind = PreTokenizerStep::Kind::kSplit;
      pre.regex = std::make_shared<RegexSplit>(
          field_value(step, "individual_digits", false, source, field) ? "\\p{N}" : "\\p{N}+",
          source);
    } else if (type == "ByteLevel") {
      pre.kind = PreTokenizerStep::Kind::kByteLevel;
      pre.add_prefix_space = field_value(step, "add_prefix_space", false, source, field);
      if (field_value(step, "use_regex", true, source, field))
        pre.regex = std::make_shared<RegexSplit>(kGpt2SplitPattern, source);
      p.byte_level = true;
    } else if (type == "Metaspace") {
      pre.kind = PreTokenizerStep::Kind::kMetaspace;
      pre.replacement = field_value(step, "replacement", "\u2581", source, field);
      pre.prepend_scheme = field_value(step, "prepend_scheme", "always", source, field);
      if (!step.contains("prepend_scheme") &&
          !field_value(step, "add_prefix_space", true, source, field))
        pre.prepend_scheme = "never";
      pre.split = field_value(step, "split", true, source, field);
      if (pre.prepend_scheme != "always" && pre.prepend_scheme != "first" &&
          pre.prepend_scheme != "never")
        refuse(source, cat(field, ".prepend_scheme"), nlohmann::json(pre.prepend_scheme).dump(),
               "always, first or never");
    } else {
      refuse(source, cat(field, ".type"), nlohmann::json(type).dump(),
             "ByteLevel, Split, Digits or Metaspace");
    }
    p.pre_tokenizers.push_back(pre);
  }

  for (const auto& [step, field] :
       flatten(json.value("decoder", none), source, "decoder", "decoders")) {
    const std::string type = type_of(step, source, field);
    DecoderStep decoder;
    if (type == "ByteLevel") {
      decoder.kind = DecoderStep::Kind::kByteLevel;
    } else if (type == "Replace") {
      decoder = {DecoderStep::Kind::kReplace, string_pattern(step, source, field),
                 field_value(step, "content", "", source, field)};
    } else if (type == "ByteFallback") {
      decoder.kind = DecoderStep::Kind::kByteFallback;
    } else if (type == "Fuse") {
      decoder.kind = DecoderStep::Kind::kFuse;
    } else if (type == "Strip") {
      decoder = {DecoderStep::Kind::kStrip, field_value(step, "content", " ", source, field), "",
                 static_cast<int>(field_value(step, "start", 0, source, field)),
                 static_cast<int>(field_value(step, "stop", 0, source, field))};
    } else if (type == "Metaspace") {
      decoder.kind = DecoderStep::Kind::kMetaspace;
      decoder.from = field_value(step, "replacement", "\u2581", source, field);
      decoder.prepended = field_value(step, "prepend_scheme", "always", source, field) != "never";
    } else {
      refuse(source, cat(field, ".type"), nlohmann::json(type).dump(),
             "ByteLevel, Metaspace, Replace, ByteFallback, Fuse or Strip");
    }
    p.decoders.push_back(decoder);
  }

  vocab_size_ = p.tokens.empty() ? 0 : p.tokens.rbegin()->first + 1;
  // BOS is part of a prompt when the post-processor puts a special token before the text.
  // Llama 3's files since 2024 wrap it in a Sequence after ByteLevel.
  for (const auto& [post, field] :
       flatten(json.value("post_processor", none), source, "post_processor", "processors")) {
    if (post.value("type", "") == "TemplateProcessing" && post.contains("single") &&
        post["single"].is_array() && !post["single"].empty()) {
      const nlohmann::json& first = post["single"][0];
      prepends_bos_ = first.is_object() && first.contains("SpecialToken");
    }
  }
  for (const auto& [name, id] : {std::pair<const char*, int64_t>{"BOS", special_.bos},
                                 {"EOS", special_.eos},
                                 {"PAD", special_.pad}}) {
    if (id < 0 || id >= vocab_size_)
      throw InputError(cat(source, ": ", name, " id ", id, " outside the vocabulary of ",
                           vocab_size_, " (from tokenizer_config.json or config.json)"));
  }
}

HfTokenizer::~HfTokenizer() = default;

std::vector<Segment> HfTokenizer::Pipeline::split_added(
    const std::string& text, std::vector<std::pair<size_t, int64_t>>& added_at) const {
  std::vector<Segment> segments;
  size_t start = 0;
  for (size_t i = 0; i < text.size();) {
    const AddedToken* match = nullptr;
    for (const AddedToken& token : added) {
      if (text.compare(i, token.content.size(), token.content) == 0) {
        match = &token;
        break;
      }
    }
    if (match == nullptr) {
      ++i;
      continue;
    }
    if (i > start) segments.push_back({text.substr(start, i - start), start == 0});
    added_at.emplace_back(segments.size(), match->id);
    i += match->content.size();
    start = i;
  }
  if (start < text.size()) segments.push_back({text.substr(start), start == 0});
  return segments;
}

std::vector<std::string> HfTokenizer::Pipeline::words(const Segment& segment) const {
  std::string normalized = segment.text;
  for (const NormalizerStep& step : normalizers) {
    switch (step.kind) {
      case NormalizerStep::Kind::kPrepend:
        if (!normalized.empty()) normalized = step.to + normalized;
        break;
      case NormalizerStep::Kind::kReplace:
        normalized = replace_all(normalized, step.from, step.to);
        break;
      case NormalizerStep::Kind::kNfc:
      case NormalizerStep::Kind::kNfkc:
        normalized = normalize_unicode(normalized, step.kind == NormalizerStep::Kind::kNfc
                                                       ? UnicodeForm::kNfc
                                                       : UnicodeForm::kNfkc);
        break;
    }
  }
  std::vector<std::string> pieces = {normalized};
  for (const PreTokenizerStep& step : pre_tokenizers) {
    std::vector<std::string> next;
    for (size_t k = 0; k < pieces.size(); ++k) {
      std::string piece = pieces[k];
      if (step.kind == PreTokenizerStep::Kind::kByteLevel) {
        if (step.add_prefix_space && piece.rfind(' ', 0) != 0) piece = " " + piece;
      } else if (step.kind == PreTokenizerStep::Kind::kMetaspace) {
        piece = replace_all(piece, " ", step.replacement);
        const bool prepend = step.prepend_scheme == "always" ||
                             (step.prepend_scheme == "first" && segment.at_start && k == 0);
        if (prepend && piece.rfind(step.replacement, 0) != 0) piece = step.replacement + piece;
        if (step.split) {
          // Each replacement starts a new word (tokenizers' MergedWithNext).
          size_t from = 0;
          for (size_t at = piece.find(step.replacement, 1); at != std::string::npos;
               at = piece.find(step.replacement, at + 1)) {
            next.push_back(piece.substr(from, at - from));
            from = at;
          }
          next.push_back(piece.substr(from));
          continue;
        }
      }
      if (step.regex) {
        for (std::string& part :
             apply_split_behavior(step.regex->split(piece), step.behavior, step.invert))
          next.push_back(std::move(part));
      } else {
        next.push_back(piece);
      }
    }
    pieces.swap(next);
  }
  std::vector<std::string> out;
  for (std::string& piece : pieces) {
    if (piece.empty()) continue;
    out.push_back(byte_level ? bytes_to_byte_level(piece) : std::move(piece));
  }
  return out;
}

std::vector<int64_t> HfTokenizer::encode(const std::string& text) const {
  if (!valid_utf8(text)) throw InputError(cat("text for ", source_, " is not valid UTF-8"));
  std::vector<int64_t> ids;
  std::vector<std::pair<size_t, int64_t>> added_at;
  const std::vector<Segment> segments = pipeline_->split_added(text, added_at);
  size_t next_added = 0;
  for (size_t s = 0; s <= segments.size(); ++s) {
    while (next_added < added_at.size() && added_at[next_added].first == s)
      ids.push_back(added_at[next_added++].second);
    if (s == segments.size()) break;
    for (const std::string& word : pipeline_->words(segments[s]))
      pipeline_->model.encode_word(word, ids);
  }
  return ids;
}

std::string HfTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::vector<std::string> tokens;
  for (int64_t id : ids) {
    const auto special = pipeline_->special.find(id);
    if (special != pipeline_->special.end() && special->second) continue;
    const auto token = pipeline_->tokens.find(id);
    if (token != pipeline_->tokens.end()) tokens.push_back(token->second);
  }
  for (const DecoderStep& step : pipeline_->decoders) {
    switch (step.kind) {
      case DecoderStep::Kind::kByteLevel:
        for (std::string& token : tokens) {
          std::string bytes;
          if (byte_level_to_bytes(token, bytes)) token = bytes;
        }
        break;
      case DecoderStep::Kind::kReplace:
        for (std::string& token : tokens) token = replace_all(token, step.from, step.to);
        break;
      case DecoderStep::Kind::kByteFallback:
        for (std::string& token : tokens) {
          if (token.size() == 6 && token.rfind("<0x", 0) == 0 && token[5] == '>')
            token = std::string(1, static_cast<char>(std::stoi(token.substr(3, 2), nullptr, 16)));
        }
        break;
      case DecoderStep::Kind::kFuse: {
        std::string joined;
        for (const std::string& token : tokens) joined += token;
        tokens = {joined};
        break;
      }
      case DecoderStep::Kind::kStrip:
        for (size_t i = 0; i < tokens.size(); ++i) {
          std::string& token = tokens[i];
          for (int k = 0; k < step.start && token.rfind(step.from, 0) == 0; ++k)
            token.erase(0, step.from.size());
          for (int k = 0;
               k < step.stop && token.size() >= step.from.size() &&
               token.compare(token.size() - step.from.size(), step.from.size(), step.from) == 0;
               ++k)
            token.erase(token.size() - step.from.size());
        }
        break;
      case DecoderStep::Kind::kMetaspace:
        for (size_t i = 0; i < tokens.size(); ++i) {
          tokens[i] = replace_all(tokens[i], step.from, " ");
          if (i == 0 && step.prepended && tokens[i].rfind(' ', 0) == 0) tokens[i].erase(0, 1);
        }
        break;
    }
  }
  std::string text;
  for (const std::string& token : tokens) text += token;
  return text;
}

std::optional<int64_t> HfTokenizer::token_id(const std::string& token) const {
  for (const AddedToken& added : pipeline_->added)
    if (added.content == token) return added.id;
  const auto found = pipeline_->model.vocabulary().find(token);
  if (found == pipeline_->model.vocabulary().end()) return std::nullopt;
  return found->second;
}

std::string HfTokenizer::token_text(int64_t id) const {
  const auto found = pipeline_->tokens.find(id);
  return found == pipeline_->tokens.end() ? std::string() : found->second;
}

std::string HfTokenizer::describe() const {
  return cat("tokenizer.json BPE (", vocab_size_, " tokens, ",
             pipeline_->byte_level ? "byte-level" : "SentencePiece-style", ")");
}

std::unique_ptr<HfTokenizer> HfTokenizer::from_directory(const std::string& model_dir) {
  // A field of tokenizer.json of the wrong type: one line naming it (the companions' fields
  // are checked one by one below).
  return reading_json((fs::path(model_dir) / "tokenizer.json").string(),
                      [&] { return read_directory(model_dir); });
}

std::unique_ptr<HfTokenizer> HfTokenizer::read_directory(const std::string& model_dir) {
  const fs::path path = fs::path(model_dir) / "tokenizer.json";
  const nlohmann::json json = read_json_if_present(path);
  if (json.is_null()) throw InputError(cat(path.string(), ": cannot open"));
  if (!json.is_object()) throw InputError(cat(path.string(), ": expected a tokenizer.json object"));
  const nlohmann::json config = read_json_if_present(fs::path(model_dir) / "tokenizer_config.json");
  const nlohmann::json model_config = read_json_if_present(fs::path(model_dir) / "config.json");
  // A special token's id: an added token's, else the vocabulary's.
  const auto lookup = [&](const std::string& token) -> std::optional<int64_t> {
    const nlohmann::json added_tokens = json.value("added_tokens", nlohmann::json::array());
    for (const nlohmann::json& added : added_tokens.is_array() ? added_tokens : nlohmann::json())
      if (added.is_object() && added.value("content", nlohmann::json()) == token &&
          added.contains("id") && added["id"].is_number_integer())
        return added["id"].get<int64_t>();
    const nlohmann::json vocab = json.contains("model") && json["model"].is_object()
                                     ? json["model"].value("vocab", nlohmann::json())
                                     : nlohmann::json();
    if (vocab.is_object() && vocab.contains(token) && vocab[token].is_number_integer())
      return vocab[token].get<int64_t>();
    return std::nullopt;
  };
  const auto id_of = [&](const char* token_field, const char* id_field) -> int64_t {
    if (config.is_object() && config.contains(token_field)) {
      nlohmann::json token = config[token_field];
      if (token.is_object()) token = token.value("content", nlohmann::json());
      if (token.is_string()) {
        const std::optional<int64_t> id = lookup(token.get<std::string>());
        if (!id)
          throw InputError(cat(model_dir, "/tokenizer_config.json: field '", token_field,
                               "' names ", token.dump(), ", which is not a token"));
        return *id;
      }
      if (!token.is_null()) {
        throw InputError(cat(model_dir, "/tokenizer_config.json: field '", token_field, "' is ",
                             config[token_field].dump().substr(0, 80),
                             " (expected a token's text, {\"content\": text} or null)"));
      }
    }
    return config_token_id(model_config, id_field);
  };
  SpecialTokenIds special{id_of("bos_token", "bos_token_id"), id_of("eos_token", "eos_token_id"),
                          id_of("pad_token", "pad_token_id")};
  if (special.eos < 0)
    throw InputError(cat(model_dir, ": no EOS token (expected tokenizer_config.json's eos_token ",
                         "or config.json's eos_token_id)"));
  if (special.pad < 0) special.pad = special.eos;
  if (special.bos < 0) special.bos = special.eos;  // Qwen has none; never prepended then
  // transformers 5 saves the template as chat_template.jinja, 4.x inside tokenizer_config.json
  // (a text, or a list of named ones whose "default" is the chat template).
  std::string chat_template;
  if (std::ifstream jinja(fs::path(model_dir) / "chat_template.jinja"); jinja) {
    chat_template.assign(std::istreambuf_iterator<char>(jinja), std::istreambuf_iterator<char>());
  } else if (config.is_object() && config.contains("chat_template")) {
    const nlohmann::json& value = config["chat_template"];
    if (value.is_string()) chat_template = value.get<std::string>();
    for (const nlohmann::json& named : value.is_array() ? value : nlohmann::json::array()) {
      if (!named.is_object() || !named.contains("template") || !named["template"].is_string()) {
        throw InputError(cat(model_dir, "/tokenizer_config.json: field 'chat_template' lists ",
                             named.dump().substr(0, 80),
                             " (expected {\"name\": ..., \"template\": text})"));
      }
      if (named.value("name", nlohmann::json()) == "default")
        chat_template = named["template"].get<std::string>();
    }
  }
  return std::make_unique<HfTokenizer>(json, path.string(), special, chat_template);
}

}  // namespace scir
