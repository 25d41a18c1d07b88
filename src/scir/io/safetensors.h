// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then the
// tensors' bytes, offsets relative to the end of the header, covering the buffer with no holes.
#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

namespace scir {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

struct SafetensorsContents {
  std::map<std::string, torch::Tensor> tensors;  // in the file's dtype (F32, F16, BF16, I64, ...)
  std::map<std::string, std::string> metadata;
};

// Reads and validates a file; every defect (header length beyond the file, invalid JSON, unknown
// dtype, offsets out of range, overlapping or leaving holes, shape not matching the byte size)
// is an InputError naming the file and, where there is one, the tensor.
SafetensorsContents read_safetensors(const std::string& path);
// The same checks without reading the tensors' bytes (a truncated file fails them); the
// tensors' shapes, by name, as the header gives them.
std::map<std::string, std::vector<int64_t>> check_safetensors(const std::string& path);

// Writes tensors (made contiguous, in their own dtype) under a temporary name, then renames.
void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// "F32" <-> torch dtype; an unknown name is an InputError naming `context`.
torch::ScalarType dtype_from_safetensors(const std::string& name, const std::string& context);
std::string dtype_to_safetensors(torch::ScalarType dtype);

}  // namespace scir
