// tokenizer.json against the tokenizers package: identical ids (and decoded text) on a corpus of
// hard cases for SmolLM2-135M's real byte-level BPE, for its vocabulary under Llama 3's and Qwen
// 2's pre-tokenizer patterns (Qwen's also behind its NFC normalizer), and for a SentencePiece-
// style (Metaspace) BPE the package trained.
// The references come from tests/parity/make_tokenizer_fixtures.py.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "input_error.h"
#include "scir/tokenizer/chat_template.h"
#include "scir/tokenizer/hf_tokenizer.h"
#include "scir/tokenizer/regex_split.h"
#include "scir/tokenizer/split_behavior.h"
#include "scir/tokenizer/tokenizer.h"

namespace scir {
namespace {

using testing_support::input_error;
const std::string kFixtures = SCIR_FIXTURE_DIR "/tokenizers";

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return nlohmann::json::parse(in);
}

const nlohmann::json& smollm2_json() {
  static const nlohmann::json json = read_json(kFixtures + "/smollm2/tokenizer.json");
  return json;
}

TEST(HfTokenizer, SameIdsAndTextAsTheTokenizersPackage) {
  const nlohmann::json reference = read_json(kFixtures + "/reference_ids.json");
  int compared = 0;
  for (const auto& [name, variant] : reference["variants"].items()) {
    nlohmann::json json =
        name == "metaspace" ? read_json(kFixtures + "/metaspace/tokenizer.json") : smollm2_json();
    if (variant.contains("pre_tokenizer")) json["pre_tokenizer"] = variant["pre_tokenizer"];
    if (variant.contains("normalizer")) json["normalizer"] = variant["normalizer"];
    const HfTokenizer tokenizer(json, name, SpecialTokenIds{1, 2, 2});
    for (const nlohmann::json& item : variant["cases"]) {
      const std::string text = item["text"];
      EXPECT_EQ(tokenizer.encode(text), item["ids"].get<std::vector<int64_t>>())
          << name << ": " << text;
      EXPECT_EQ(tokenizer.decode(item["ids"].get<std::vector<int64_t>>()),
                item["decoded"].get<std::string>())
          << name << ": " << text;
      ++compared;
    }
  }
  // 5 front ends, and a Split of each delimiter behaviour (tokenizers' SplitDelimiterBehavior,
  // with invert, empty matches and a String pattern): 16 more.
  EXPECT_EQ(reference["variants"].size(), 21u);
  EXPECT_EQ(compared, 21 * 22);
}

TEST(HfTokenizer, ReadsADirectoryWithItsSpecialTokens) {
  const auto tokenizer = HfTokenizer::from_directory(kFixtures + "/smollm2");
  EXPECT_EQ(tokenizer->vocab_size(), 49152);
  EXPECT_EQ(tokenizer->bos_id(), 1);  // <|im_start|>
  EXPECT_EQ(tokenizer->eos_id(), 2);  // <|im_end|>
  EXPECT_EQ(tokenizer->pad_id(), 2);
  // SmolLM2's post-processor adds nothing: its prompts start with the chat template's text.
  EXPECT_FALSE(tokenizer->prepends_bos());
  EXPECT_EQ(prompt_ids(*tokenizer, ChatTemplate::kNone, "<|im_start|>user"),
            (std::vector<int64_t>{1, 4093}));
  EXPECT_EQ(tokenizer->token_text(2), "<|im_end|>");
  // Special tokens are left out of decoded text; their ids are never split out of text.
  EXPECT_EQ(tokenizer->decode(tokenizer->encode("<|im_start|>hi<|im_end|>")), "hi");
}

// The model's own ChatML template, with its default system message: the ids transformers'
// apply_chat_template gives for one user message and the generation prompt.
TEST(HfTokenizer, TheModelsChatTemplateGivesTransformersIds) {
  const auto tokenizer = HfTokenizer::from_directory(kFixtures + "/smollm2");
  EXPECT_EQ(resolve_chat_template(ChatTemplate::kModel, *tokenizer), ChatTemplate::kChatMl);
  EXPECT_EQ(default_system_message(tokenizer->chat_template_text()),
            "You are a helpful AI assistant named SmolLM, trained by Hugging Face");
  const nlohmann::json reference = read_json(kFixtures + "/reference_ids.json");
  ASSERT_EQ(reference["chat"]["smollm2"].size(), 3u);
  for (const nlohmann::json& item : reference["chat"]["smollm2"]) {
    EXPECT_EQ(prompt_ids(*tokenizer, ChatTemplate::kModel, item["user"].get<std::string>()),
              item["ids"].get<std::vector<int64_t>>())
        << item["user"];
  }
  // By name, ChatML without the model's default system message: the same turn, shorter.
  const std::vector<int64_t> plain = prompt_ids(*tokenizer, ChatTemplate::kChatMl, "Hi");
  EXPECT_EQ(tokenizer->decode(plain), "user\nHi\nassistant\n");
}

TEST(HfTokenizer, WhatIsNotImplementedIsRefusedByName) {
  const auto refused = [](const char* field, const nlohmann::json& value) {
    nlohmann::json json = smollm2_json();
    json[field] = value;
    return input_error([&] { HfTokenizer(json, "tokenizer.json", SpecialTokenIds{1, 2, 2}); });
  };
  EXPECT_EQ(refused("normalizer", {{"type", "NFD"}}),
            "tokenizer.json: field 'normalizer.type' is \"NFD\": not implemented (expected "
            "Prepend, Replace, NFC or NFKC)");
  EXPECT_EQ(refused("pre_tokenizer", {{"type", "Whitespace"}}),
            "tokenizer.json: field 'pre_tokenizer.type' is \"Whitespace\": not implemented "
            "(expected ByteLevel, Split, Digits or Metaspace)");
  EXPECT_EQ(refused("decoder", {{"type", "WordPiece"}}),
            "tokenizer.json: field 'decoder.type' is \"WordPiece\": not implemented (expected "
            "ByteLevel, Metaspace, Replace, ByteFallback, Fuse or Strip)");
  nlohmann::json model = smollm2_json()["model"];
  model["type"] = "Unigram";
  EXPECT_EQ(refused("model", model),
            "tokenizer.json: field 'model.type' is \"Unigram\": only BPE models are implemented "
            "(expected \"BPE\")");
  nlohmann::json added = smollm2_json()["added_tokens"];
  added[3]["lstrip"] = true;
  EXPECT_EQ(refused("added_tokens", added),
            "tokenizer.json: field 'added_tokens[3].lstrip' is true: not implemented (expected "
            "false: the flag is not implemented)");
  nlohmann::json split = {{"type", "Split"},
                          {"pattern", {{"Regex", "(unclosed"}}},
                          {"behavior", "Isolated"},
                          {"invert", false}};
  EXPECT_NE(refused("pre_tokenizer", split)
                .find("tokenizer.json: field 'pre_tokenizer.pattern': regular expression does "
                      "not compile"),
            std::string::npos);
  const HfTokenizer tokenizer(smollm2_json(), "tokenizer.json", SpecialTokenIds{1, 2, 2});
  EXPECT_EQ(input_error([&] { tokenizer.encode("bad \xff byte"); }),
            "text for tokenizer.json is not valid UTF-8");
  EXPECT_EQ(input_error([&] {
              HfTokenizer(smollm2_json(), "t.json", SpecialTokenIds{1, 2, 49152});
            }),
            "t.json: PAD id 49152 outside the vocabulary of 49152 (from tokenizer_config.json or "
            "config.json)");
}

// Digits isolates numbers before the byte-level step (StarCoder's and SmolLM's files); the
// llama.cpp vocabularies of tests/real check it against Hugging Face's ids.
TEST(HfTokenizer, DigitsSplitsNumbersOffAsTheirOwnWords) {
  nlohmann::json json = smollm2_json();
  const nlohmann::json bytes = {
      {"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}};
  json["pre_tokenizer"] = bytes;
  const HfTokenizer whole(json, "whole", SpecialTokenIds{1, 2, 2});
  const auto pieces = [&](std::initializer_list<const char*> words) {
    std::vector<int64_t> ids;
    for (const char* word : words) {
      const std::vector<int64_t> more = whole.encode(word);
      ids.insert(ids.end(), more.begin(), more.end());
    }
    return ids;
  };
  for (const bool individual : {true, false}) {
    json["pre_tokenizer"] = {
        {"type", "Sequence"},
        {"pretokenizers", {{{"type", "Digits"}, {"individual_digits", individual}}, bytes}}};
    const HfTokenizer digits(json, "digits", SpecialTokenIds{1, 2, 2});
    EXPECT_EQ(digits.encode("year2026 ok"), individual ? pieces({"year", "2", "0", "2", "6", " ok"})
                                                       : pieces({"year", "2026", " ok"}));
  }
}

// Llama 3's tokenizer.json puts BOS in a TemplateProcessing inside a Sequence.
TEST(HfTokenizer, FindsTheTemplateProcessorInsideASequence) {
  nlohmann::json json = smollm2_json();
  json["post_processor"] = {{"type", "Sequence"},
                            {"processors",
                             {{{"type", "ByteLevel"}},
                              {{"type", "TemplateProcessing"},
                               {"single",
                                {{{"SpecialToken", {{"id", "<|im_start|>"}, {"type_id", 0}}}},
                                 {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}}}}}};
  EXPECT_TRUE(HfTokenizer(json, "t.json", SpecialTokenIds{1, 2, 2}).prepends_bos());
}

// Llama 3 Instruct lists several end ids (config.json, generation_config.json): every one of
// them ends a response; EOS stays first.
TEST(HfTokenizer, StopIdsComeFromTheEosListsOfTheModelFiles) {
  const std::filesystem::path dir =
      std::filesystem::path(testing::TempDir()) / "scir_stop_ids_tokenizer";
  std::filesystem::remove_all(dir);
  std::filesystem::copy(kFixtures + "/smollm2", dir);
  const auto write = [&](const char* file, const nlohmann::json& json) {
    std::ofstream(dir / file) << json.dump();
  };
  write("config.json", {{"eos_token_id", {2, 0}}});
  write("generation_config.json", {{"eos_token_id", {0, 5}}});
  EXPECT_EQ(load_tokenizer(dir.string())->stop_ids(), (std::vector<int64_t>{2, 0, 5}));
  write("generation_config.json", {{"eos_token_id", 7}});
  EXPECT_EQ(load_tokenizer(dir.string())->stop_ids(), (std::vector<int64_t>{2, 0, 7}));
  write("generation_config.json", {{"eos_token_id", {2, 49152}}});
  EXPECT_EQ(input_error([&] { load_tokenizer(dir.string()); }),
            (dir / "generation_config.json").string() +
                ": field 'eos_token_id' holds 49152 (expected token ids below the vocabulary "
                "size 49152)");
  std::filesystem::remove_all(dir);
}

// tokenizers' documentation of SplitDelimiterBehavior, on its own example: "the-final--countdown"
// split at "-".
TEST(SplitBehavior, EachBehaviourKeepsWhatTheTokenizersPackageDocuments) {
  const RegexSplit dash("-", "test");
  const auto split = [&](SplitBehavior behavior, bool invert = false) {
    return apply_split_behavior(dash.split("the-final--countdown"), behavior, invert);
  };
  using Pieces = std::vector<std::string>;
  EXPECT_EQ(split(SplitBehavior::kRemoved), (Pieces{"the", "final", "countdown"}));
  EXPECT_EQ(split(SplitBehavior::kIsolated), (Pieces{"the", "-", "final", "-", "-", "countdown"}));
  EXPECT_EQ(split(SplitBehavior::kMergedWithPrevious),
            (Pieces{"the-", "final-", "-", "countdown"}));
  EXPECT_EQ(split(SplitBehavior::kMergedWithNext), (Pieces{"the", "-final", "-", "-countdown"}));
  EXPECT_EQ(split(SplitBehavior::kContiguous), (Pieces{"the", "-", "final", "--", "countdown"}));
  // Inverted, the words are the delimiters: Removed keeps the dashes, one a match.
  EXPECT_EQ(split(SplitBehavior::kRemoved, true), (Pieces{"-", "-", "-"}));
  EXPECT_EQ(split(SplitBehavior::kMergedWithPrevious, true),
            (Pieces{"the", "-final", "-", "-countdown"}));
}

// Empty matches as Oniguruma (tokenizers' regex engine) yields them: kept, except one that a
// search finds where the last match ended.
TEST(SplitBehavior, EmptyMatchesFollowTheTokenizersRegexEngine) {
  const RegexSplit spaces("\\s*", "test");
  std::vector<std::pair<std::string, bool>> pieces;
  for (const RegexSplit::Piece& piece : spaces.split("a b"))
    pieces.emplace_back(piece.text, piece.matched);
  EXPECT_EQ(pieces, (std::vector<std::pair<std::string, bool>>{
                        {"", true}, {"a", false}, {" ", true}, {"b", false}, {"", true}}));
}

// A pattern whose matching runs past PCRE2's match limit is the tokenizer file's problem: the
// error names the pattern and its field, not the user's text.
TEST(SplitBehavior, AMatchLimitNamesThePatternAndItsField) {
  // Nested quantifiers that backtrack exponentially on a word that ends in punctuation.
  const RegexSplit catastrophic("(\\w+\\s?)*$", "tokenizer.json: field 'pre_tokenizer.pattern'");
  EXPECT_EQ(input_error([&] { catastrophic.split(std::string(40, 'a') + "!"); }),
            "tokenizer.json: field 'pre_tokenizer.pattern': regular expression (\\w+\\s?)*$ "
            "fails on a text of 41 bytes (PCRE2: match limit exceeded)");
}

// Fields of the wrong type or out of range, in tokenizer.json and its companions: one line
// naming the file and the field.
TEST(HfTokenizer, FieldsOfTheWrongTypeOrRangeAreNamed) {
  nlohmann::json json = smollm2_json();
  json["pre_tokenizer"] = {{"type", "ByteLevel"}, {"add_prefix_space", "yes"}};
  EXPECT_EQ(input_error([&] {
              HfTokenizer(json, "tokenizer.json", SpecialTokenIds{1, 2, 2});
            }),
            "tokenizer.json: field 'pre_tokenizer.add_prefix_space' is \"yes\" (expected true or "
            "false)");
  json = smollm2_json();
  json["pre_tokenizer"] = {
      {"type", "Split"}, {"pattern", {{"Regex", "\\s+"}}}, {"behavior", "Removed"}, {"invert", 1}};
  EXPECT_EQ(input_error([&] {
              HfTokenizer(json, "tokenizer.json", SpecialTokenIds{1, 2, 2});
            }),
            "tokenizer.json: field 'pre_tokenizer.invert' is 1 (expected true or false)");
  json["pre_tokenizer"]["invert"] = false;
  json["pre_tokenizer"]["behavior"] = "Merged";
  EXPECT_EQ(input_error([&] {
              HfTokenizer(json, "tokenizer.json", SpecialTokenIds{1, 2, 2});
            }),
            "tokenizer.json: field 'pre_tokenizer.behavior' is \"Merged\": not implemented "
            "(expected Isolated, Removed, MergedWithPrevious, MergedWithNext or Contiguous)");
  json = smollm2_json();
  json["added_tokens"][3]["id"] = -1;
  EXPECT_EQ(input_error([&] {
              HfTokenizer(json, "tokenizer.json", SpecialTokenIds{1, 2, 2});
            }),
            "tokenizer.json: field 'added_tokens[3].id' is -1 (expected a token id in [0, 2^31 "
            "- 1])");
  // From a directory: tokenizer.json's fields and tokenizer_config.json's special tokens are
  // checked by type, each named with its file.
  const std::filesystem::path dir =
      std::filesystem::path(testing::TempDir()) / "scir_typed_fields_tokenizer";
  std::filesystem::remove_all(dir);
  std::filesystem::copy(kFixtures + "/smollm2", dir);
  json = smollm2_json();
  json["added_tokens"][0]["special"] = "yes";
  std::ofstream(dir / "tokenizer.json") << json.dump();
  EXPECT_EQ(input_error([&] { load_tokenizer(dir.string()); }),
            (dir / "tokenizer.json").string() +
                ": field 'added_tokens[0].special' is \"yes\" (expected true or false)");
  json = smollm2_json();
  json["model"]["fuse_unk"] = 0;
  std::ofstream(dir / "tokenizer.json") << json.dump();
  EXPECT_EQ(
      input_error([&] { load_tokenizer(dir.string()); }),
      (dir / "tokenizer.json").string() + ": field 'model.fuse_unk' is 0 (expected true or false)");
  std::ofstream(dir / "tokenizer.json") << smollm2_json().dump();
  std::ofstream(dir / "tokenizer_config.json") << nlohmann::json({{"bos_token", 5}}).dump();
  EXPECT_EQ(input_error([&] { load_tokenizer(dir.string()); }),
            dir.string() +
                "/tokenizer_config.json: field 'bos_token' is 5 (expected a token's text, "
                "{\"content\": text} or null)");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace scir
