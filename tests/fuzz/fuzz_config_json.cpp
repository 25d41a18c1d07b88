// A Hugging Face config.json (model/model_config): every field by type and range, RoPE blocks,
// the fields refused by name, and a shape's size.
#include "fuzz_input.h"
#include "scir/model/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      scir::fuzz::write_file(scir::fuzz::scratch() / "config.json", data, size);
  scir::fuzz::expect_input_error_at_most([&] {
    const scir::ModelConfig config = scir::ModelConfig::from_file(path);
    scir::fuzz::assert_property(config.parameter_count() > 0, "an accepted shape has parameters");
    // What is written reads back as the same shape.
    scir::fuzz::assert_property(
        scir::ModelConfig::from_json(config.to_json(), path).parameter_count() ==
            config.parameter_count(),
        "config.json written and read again is the same shape");
  });
  return 0;
}
