#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "scir/core/errors.h"
#include "scir/core/rng.h"
#include "scir/tokenizer/byte_tokenizer.h"
#include "scir/tokenizer/chat_template.h"
#include "scir/tokenizer/sentencepiece_tokenizer.h"

namespace scir {
namespace {

namespace fs = std::filesystem;

TEST(ByteTokenizer, RoundTripsAnyBytesAndSkipsSpecials) {
  ByteTokenizer tokenizer;
  const std::string text = std::string("sort: 3 1 2\n\xc3\xa9\x00\xff", 16);
  const auto ids = tokenizer.encode(text);
  EXPECT_EQ(ids.size(), text.size());
  EXPECT_EQ(ids[0], 's');
  EXPECT_EQ(ids[15], 255);
  std::vector<int64_t> with_specials{ByteTokenizer::kBos};
  with_specials.insert(with_specials.end(), ids.begin(), ids.end());
  with_specials.push_back(ByteTokenizer::kEos);
  with_specials.push_back(ByteTokenizer::kPad);
  EXPECT_EQ(tokenizer.decode(with_specials), text);
  EXPECT_EQ(tokenizer.single_token_id("A"), 'A');
  EXPECT_THROW(tokenizer.single_token_id("AB"), InputError);
}

TEST(ChatTemplate, PlainAndMistralInstruct) {
  ByteTokenizer tokenizer;
  EXPECT_EQ(render_prompt(ChatTemplate::kMistralInstruct, "Sort 3 1 2"),
            "[INST] Sort 3 1 2 [/INST]");
  EXPECT_EQ(render_prompt(ChatTemplate::kPlain, "Sort 3 1 2"), "Sort 3 1 2\n");
  const auto ids = prompt_ids(tokenizer, ChatTemplate::kPlain, "hi");
  EXPECT_EQ(ids, (std::vector<int64_t>{ByteTokenizer::kBos, 'h', 'i', '\n'}));
  // Every template has a name, and the name comes back from chat_template_name.
  std::vector<std::string> names;
  for (const auto& [name, chat_template] : chat_template_names()) {
    names.push_back(name);
    EXPECT_EQ(chat_template_name(chat_template), name);
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"none", "plain", "mistral", "chatml", "llama3", "model"}));
}

TEST(ChatTemplate, ChatMlAndLlama3WithAndWithoutASystemMessage) {
  EXPECT_EQ(render_prompt(ChatTemplate::kChatMl, "Hi"),
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(render_prompt(ChatTemplate::kChatMl, "Hi", "Be brief."),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\n");
  EXPECT_EQ(render_prompt(ChatTemplate::kLlama3, "Hi"),
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(render_prompt(ChatTemplate::kLlama3, "Hi", "Be brief."),
            "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  // A default system message is taken only where the template writes it as literal text.
  EXPECT_EQ(default_system_message("{{ '<|im_start|>system\nYou are Qwen.<|im_end|>\n' }}"),
            "You are Qwen.");
  EXPECT_EQ(default_system_message(
                "{{ '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>' }}"),
            "");
  // The byte tokenizer has no template of its own.
  ByteTokenizer tokenizer;
  EXPECT_THROW(prompt_ids(tokenizer, ChatTemplate::kModel, "hi"), InputError);
}

// Trains a small SentencePiece model with the library's own trainer, as a Llama-style
// tokenizer (unk 0, bos 1, eos 2), and checks it through the plugin.
TEST(SentencePieceTokenizer, TrainedModelRoundTrips) {
  const fs::path directory = fs::path(::testing::TempDir()) / "scir_spm";
  fs::create_directories(directory);
  const fs::path corpus = directory / "corpus.txt";
  {
    std::ofstream file(corpus);
    RngStream rng = RngStream::derive(5, {});
    const char* words[] = {"sort",    "the",    "list",   "reverse", "string",
                           "count",   "digits", "answer", "maximum", "of",
                           "numbers", "judge",  "which",  "is",      "better"};
    for (int line = 0; line < 400; ++line) {
      for (int w = 0; w < 8; ++w) file << words[rng.next_u64() % 15] << (w < 7 ? " " : "\n");
    }
  }
  const std::string prefix = (directory / "tiny").string();
  SentencePieceTokenizer::train("--input=" + corpus.string() + " --model_prefix=" + prefix +
                                " --vocab_size=36 --model_type=unigram --character_coverage=1.0"
                                " --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=-1"
                                " --minloglevel=2");
  SentencePieceTokenizer tokenizer(prefix + ".model");
  EXPECT_EQ(tokenizer.vocab_size(), 36);
  EXPECT_EQ(tokenizer.bos_id(), 1);
  EXPECT_EQ(tokenizer.eos_id(), 2);
  EXPECT_EQ(tokenizer.pad_id(), 2);  // no pad piece: EOS pads
  const std::string text = "sort the list of numbers";
  const auto ids = tokenizer.encode(text);
  EXPECT_GT(ids.size(), 1u);
  EXPECT_LT(ids.size(), text.size());  // pieces longer than characters
  for (int64_t id : ids) {
    EXPECT_GE(id, 3);
    EXPECT_LT(id, 36);
  }
  std::vector<int64_t> framed{1};
  framed.insert(framed.end(), ids.begin(), ids.end());
  framed.push_back(2);
  EXPECT_EQ(tokenizer.decode(framed), text);
  // A long input exercises the plugin's second, larger buffer.
  std::string long_text;
  for (int i = 0; i < 50; ++i) long_text += "judge which answer is better ";
  long_text.pop_back();
  EXPECT_EQ(tokenizer.decode(tokenizer.encode(long_text)), long_text);
}

TEST(SentencePieceTokenizer, MalformedModelFileIsAnInputError) {
  const fs::path path = fs::path(::testing::TempDir()) / "not_a_model.model";
  std::ofstream(path) << "this is not a protobuf";
  try {
    SentencePieceTokenizer tokenizer(path.string());
    FAIL() << "expected an InputError";
  } catch (const InputError& error) {
    EXPECT_EQ(
        std::string(error.what()).rfind(path.string() + ": not a readable SentencePiece model", 0),
        0u)
        << error.what();
  }
}

}  // namespace
}  // namespace scir
