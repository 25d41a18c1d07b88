#include "scir/tokenizer/byte_level.h"

#include <array>
#include <unordered_map>

namespace scir {
namespace {

std::string utf8_of(uint32_t code_point) {
  std::string out;
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
  return out;
}

struct Alphabet {
  std::array<std::string, 256> of_byte;
  std::unordered_map<uint32_t, unsigned char> byte_of;
  Alphabet() {
    uint32_t next = 0x100;
    for (uint32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      const uint32_t code_point = printable ? b : next++;
      of_byte[b] = utf8_of(code_point);
      byte_of[code_point] = static_cast<unsigned char>(b);
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet instance;
  return instance;
}

}  // namespace

std::string bytes_to_byte_level(const std::string& bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) out += alphabet().of_byte[b];
  return out;
}

bool byte_level_to_bytes(const std::string& text, std::string& bytes) {
  for (size_t i = 0; i < text.size();) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    // The alphabet's code points are below U+0800: one or two UTF-8 bytes.
    uint32_t code_point = lead;
    size_t length = 1;
    if (lead >= 0xC0 && lead < 0xE0 && i + 1 < text.size()) {
      code_point = ((lead & 0x1F) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3F);
      length = 2;
    } else if (lead >= 0x80) {
      return false;
    }
    const auto found = alphabet().byte_of.find(code_point);
    if (found == alphabet().byte_of.end()) return false;
    bytes.push_back(static_cast<char>(found->second));
    i += length;
  }
  return true;
}

}  // namespace scir
