// A safetensors file: the header's JSON, its lengths, dtypes, shapes and offsets against the
// file (io/safetensors), checked and then read.
#include "fuzz_input.h"
#include "scir/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      scir::fuzz::write_file(scir::fuzz::scratch() / "w.safetensors", data, size);
  scir::fuzz::expect_input_error_at_most([&] {
    const auto shapes = scir::check_safetensors(path);
    const scir::SafetensorsContents contents = scir::read_safetensors(path);
    scir::fuzz::assert_property(contents.tensors.size() == shapes.size(),
                                "every checked tensor is read");
    for (const auto& [name, tensor] : contents.tensors)
      scir::fuzz::assert_property(tensor.sizes().vec() == shapes.at(name),
                                  "a tensor has its header's shape");
  });
  return 0;
}
