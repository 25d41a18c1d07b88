#include "scir/io/safetensors.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "scir/core/checked_arithmetic.h"
#include "scir/core/errors.h"

namespace scir {
namespace {

// A header larger than this is not a safetensors header (the format caps it at 100 MB).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

const std::vector<std::pair<std::string, torch::ScalarType>>& dtype_table() {
  static const std::vector<std::pair<std::string, torch::ScalarType>> table = {
      {"F64", torch::kDouble},    {"F32", torch::kFloat}, {"F16", torch::kHalf},
      {"BF16", torch::kBFloat16}, {"I64", torch::kLong},  {"I32", torch::kInt},
      {"I16", torch::kShort},     {"I8", torch::kChar},   {"U8", torch::kByte},
      {"BOOL", torch::kBool}};
  return table;
}

struct Span {
  uint64_t begin, end;
  std::string name;
};

}  // namespace

torch::ScalarType dtype_from_safetensors(const std::string& name, const std::string& context) {
  for (const auto& [text, dtype] : dtype_table()) {
    if (text == name) return dtype;
  }
  throw InputError(cat(context, ": unknown dtype '", name,
                       "' (expected F64, F32, F16, BF16, I64, I32, I16, I8, U8 or BOOL)"));
}

std::string dtype_to_safetensors(torch::ScalarType dtype) {
  for (const auto& [text, known] : dtype_table()) {
    if (known == dtype) return text;
  }
  throw InternalError(cat("no safetensors dtype for ", dtype));
}

namespace {

struct Entry {
  std::string name;
  torch::ScalarType dtype;
  std::vector<int64_t> shape;
  uint64_t begin;
};

// What the header says, validated against the file's size; `file` is left open.
struct Layout {
  std::map<std::string, std::string> metadata;
  std::vector<Entry> entries;
  uint64_t header_size = 0;
};

Layout read_layout(const std::string& path, std::ifstream& file) {
  file.open(path, std::ios::binary | std::ios::ate);
  if (!file) throw InputError(cat(path, ": cannot open safetensors file"));
  const uint64_t file_size = static_cast<uint64_t>(file.tellg());
  file.seekg(0);
  if (file_size < 8)
    throw InputError(cat(path, ": too short for a safetensors header (", file_size, " bytes)"));
  unsigned char length_bytes[8];
  file.read(reinterpret_cast<char*>(length_bytes), 8);
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) header_size = (header_size << 8) | length_bytes[i];
  if (header_size > kMaxHeaderBytes || header_size > file_size - 8) {
    throw InputError(cat(path, ": header length ", header_size, " goes beyond the file of ",
                         file_size, " bytes"));
  }
  std::string header_text(header_size, '\0');
  file.read(header_text.data(), header_size);
  const nlohmann::json header = nlohmann::json::parse(header_text, nullptr, false);
  if (header.is_discarded() || !header.is_object()) {
    throw InputError(cat(path, ": header is not valid JSON object"));
  }
  const uint64_t data_size = file_size - 8 - header_size;

  Layout layout;
  layout.header_size = header_size;
  std::vector<Span> spans;
  for (const auto& [name, info] : header.items()) {
    const std::string where = cat(path, ": tensor '", name, "'");
    if (name == "__metadata__") {
      if (!info.is_object()) throw InputError(cat(path, ": __metadata__ must be an object"));
      for (const auto& [key, value] : info.items()) {
        if (!value.is_string())
          throw InputError(cat(path, ": __metadata__ value of '", key, "' must be a string"));
        layout.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    if (!info.is_object() || !info.contains("dtype") || !info["dtype"].is_string() ||
        !info.contains("shape") || !info["shape"].is_array() || !info.contains("data_offsets") ||
        !info["data_offsets"].is_array() || info["data_offsets"].size() != 2) {
      throw InputError(cat(where, ": expected dtype, shape and data_offsets [begin, end]"));
    }
    const torch::ScalarType dtype = dtype_from_safetensors(info["dtype"].get<std::string>(), where);
    std::vector<int64_t> shape;
    std::optional<uint64_t> bytes = torch::elementSize(dtype);
    for (const auto& extent : info["shape"]) {
      // An extent must also fit LibTorch's int64_t sizes.
      if (!extent.is_number_unsigned() || extent.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
        throw InputError(cat(where, ": shape must list non-negative integers below 2^63"));
      shape.push_back(extent.get<int64_t>());
      if (bytes) bytes = checked_product(*bytes, extent.get<uint64_t>());
    }
    if (!bytes) {
      throw InputError(cat(where, ": shape ", info["shape"].dump(), " of ",
                           info["dtype"].get<std::string>(), " needs more bytes than 2^64"));
    }
    const auto& offsets = info["data_offsets"];
    if (!offsets[0].is_number_unsigned() || !offsets[1].is_number_unsigned()) {
      throw InputError(cat(where, ": data_offsets must be non-negative integers"));
    }
    const uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
    if (begin > end || end > data_size) {
      throw InputError(cat(where, ": data_offsets [", begin, ", ", end, "] out of range of the ",
                           data_size, " data bytes"));
    }
    const uint64_t expected = *bytes;
    if (end - begin != expected) {
      throw InputError(cat(where, ": shape ", info["shape"].dump(), " of ",
                           info["dtype"].get<std::string>(), " needs ", expected,
                           " bytes, data_offsets give ", end - begin));
    }
    spans.push_back({begin, end, name});
    layout.entries.push_back({name, dtype, shape, begin});
  }
  // The tensors must tile the data buffer exactly: no overlap and no hole.
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  for (const Span& span : spans) {
    if (span.begin < covered) {
      throw InputError(cat(path, ": tensor '", span.name, "' overlaps the tensor before it"));
    }
    if (span.begin > covered) {
      throw InputError(cat(path, ": bytes [", covered, ", ", span.begin, ") belong to no tensor"));
    }
    covered = span.end;
  }
  if (covered != data_size) {
    throw InputError(cat(path, ": bytes [", covered, ", ", data_size, ") belong to no tensor"));
  }
  return layout;
}

}  // namespace

std::map<std::string, std::vector<int64_t>> check_safetensors(const std::string& path) {
  std::ifstream file;
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const Entry& entry : read_layout(path, file).entries) shapes[entry.name] = entry.shape;
  return shapes;
}

SafetensorsContents read_safetensors(const std::string& path) {
  std::ifstream file;
  const Layout layout = read_layout(path, file);
  SafetensorsContents contents;
  contents.metadata = layout.metadata;
  for (const Entry& entry : layout.entries) {
    torch::Tensor tensor = torch::empty(entry.shape, entry.dtype);
    file.seekg(static_cast<std::streamoff>(8 + layout.header_size + entry.begin));
    file.read(static_cast<char*>(tensor.data_ptr()), tensor.nbytes());
    if (!file) throw InputError(cat(path, ": cannot read tensor '", entry.name, "'"));
    contents.tensors[entry.name] = tensor;
  }
  return contents;
}

void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> contiguous;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    torch::Tensor data = tensor.detach().to(torch::kCPU).contiguous();
    header[name] = {{"dtype", dtype_to_safetensors(data.scalar_type())},
                    {"shape", data.sizes().vec()},
                    {"data_offsets", {offset, offset + data.nbytes()}}};
    offset += data.nbytes();
    contiguous.push_back(data);
  }
  std::string header_text = header.dump();
  // Pad with spaces so the data starts 8-byte aligned.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');
  const std::string temporary = path + ".tmp";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    if (!file) throw InputError(cat(path, ": cannot write safetensors file"));
    uint64_t length = header_text.size();
    unsigned char length_bytes[8];
    for (int i = 0; i < 8; ++i) length_bytes[i] = static_cast<unsigned char>(length >> (8 * i));
    file.write(reinterpret_cast<const char*>(length_bytes), 8);
    file.write(header_text.data(), header_text.size());
    for (const torch::Tensor& data : contiguous) {
      file.write(static_cast<const char*>(data.data_ptr()), data.nbytes());
    }
    if (!file) throw InputError(cat(path, ": write failed"));
  }
  std::filesystem::rename(temporary, path);
}

}  // namespace scir
