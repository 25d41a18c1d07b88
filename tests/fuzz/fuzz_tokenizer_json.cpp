// tokenizer.json with its companions (tokenizer/hf_tokenizer): the input is up to three files
// cut at a line "=====": tokenizer.json, tokenizer_config.json and config.json (absent parts:
// a config.json whose EOS is id 0). A tokenizer that loads then encodes and decodes texts,
// its own vocabulary's hard cases among them.
#include "fuzz_input.h"
#include "scir/tokenizer/chat_template.h"
#include "scir/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path directory = scir::fuzz::scratch() / "tokenizer";
  std::filesystem::create_directories(directory);
  const std::string input(reinterpret_cast<const char*>(data), size);
  const std::string separator = "\n=====\n";
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t at; parts.size() < 2 && (at = input.find(separator, start)) != std::string::npos;
       start = at + separator.size())
    parts.push_back(input.substr(start, at - start));
  parts.push_back(input.substr(start));
  const char* files[] = {"tokenizer.json", "tokenizer_config.json", "config.json"};
  for (size_t part = 0; part < 3; ++part) {
    std::filesystem::remove(directory / files[part]);
    if (part < parts.size())
      std::ofstream(directory / files[part], std::ios::binary) << parts[part];
  }
  if (parts.size() < 3) std::ofstream(directory / "config.json") << "{\"eos_token_id\": 0}";
  scir::fuzz::expect_input_error_at_most([&] {
    const std::unique_ptr<scir::Tokenizer> tokenizer = scir::load_tokenizer(directory.string());
    for (const std::string& text : {std::string("Hello, world! 123"), std::string("  a\tb\n"),
                                    std::string("naïve 😀 <|im_end|>"), input.substr(0, 64)}) {
      try {
        const std::vector<int64_t> ids = tokenizer->encode(text);
        for (const int64_t id : ids)
          scir::fuzz::assert_property(id >= 0 && id < tokenizer->vocab_size(),
                                      "ids in the vocabulary");
        tokenizer->decode(ids);
        scir::prompt_ids(*tokenizer, scir::ChatTemplate::kModel, text);
      } catch (const scir::InputError&) {
        // text that is not UTF-8, or a template the tokenizer does not know
      }
    }
  });
  return 0;
}
