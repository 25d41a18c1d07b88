// The JSONL readers (io/jsonl, data/text_records, data/labelled_pairs, data/lm_examples): one
// file read as prompts, as scoring records with token ids, as labelled pairs and as training
// examples, with the byte tokenizer.
#include "fuzz_input.h"
#include "scir/data/labelled_pairs.h"
#include "scir/data/lm_examples.h"
#include "scir/data/text_records.h"
#include "scir/tokenizer/byte_tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      scir::fuzz::write_file(scir::fuzz::scratch() / "input.jsonl", data, size);
  const scir::ByteTokenizer tokenizer;
  const scir::TextEncoding encoding{tokenizer, scir::ChatTemplate::kPlain,
                                    scir::ByteTokenizer::kVocabSize, true};
  using scir::fuzz::expect_input_error_at_most;
  expect_input_error_at_most([&] {
    const size_t texts = scir::read_prompt_texts(path).size();
    const size_t records = scir::read_prompt_records(path, encoding).size();
    scir::fuzz::assert_property(texts == records,
                                "prompts read as text and as records agree in number");
  });
  expect_input_error_at_most([&] { scir::read_score_records(path, encoding); });
  expect_input_error_at_most([&] { scir::read_labelled_pairs(path); });
  expect_input_error_at_most([&] {
    scir::read_lm_examples({path}, tokenizer, scir::ChatTemplate::kPlain,
                           scir::LossTokens::kResponseOnly);
  });
  return 0;
}
