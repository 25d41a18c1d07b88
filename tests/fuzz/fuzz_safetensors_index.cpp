// model.safetensors.index.json beside a real sharded model (the unit tests' tiny Llama with the
// byte tokenizer, in shards of 4000 bytes): the index's structure, shard names, and which tensor is
// where (io/hf_checkpoint's check_hf_model).
#include "../unit/tiny_model.h"
#include "fuzz_input.h"
#include "scir/io/hf_checkpoint.h"
#include "scir/model/transformer.h"
#include "scir/tokenizer/byte_tokenizer.h"

namespace {

const std::string& model_directory() {
  static const std::string directory = [] {
    scir::ModelConfig config = scir::testing_support::tiny_config();
    config.vocab_size = scir::ByteTokenizer::kVocabSize;
    scir::Transformer model(config);
    model.init_weights(1);
    const std::string path = (scir::fuzz::scratch() / "model").string();
    scir::save_hf_model(path, model, scir::ByteTokenizer(), torch::kFloat, 4000);
    return path;
  }();
  return directory;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& directory = model_directory();
  scir::fuzz::write_file(std::filesystem::path(directory) / "model.safetensors.index.json", data,
                         size);
  scir::fuzz::expect_input_error_at_most([&] {
    scir::fuzz::assert_property(
        scir::check_hf_model(directory).vocab_size == scir::ByteTokenizer::kVocabSize,
        "an accepted index leaves the model it indexes");
  });
  return 0;
}
