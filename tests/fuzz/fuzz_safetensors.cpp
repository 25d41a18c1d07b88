// A safetensors file: the header's JSON, its lengths, dtypes, shapes and offsets against the
// file (io/safetensors), checked and then read.
#include "fuzz_input.h"
#include "scir/io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      scir::fuzz::write_file(scir::fuzz::scratch() / "w.safetensors", data, size);
  scir::fuzz::expect_input_error_at_most([&] {
    scir::check_safetensors(path);
    scir::read_safetensors(path);
  });
  return 0;
}
