// GPT-2's byte-level alphabet, which byte-level BPE vocabularies (GPT-2, Llama 3, Qwen, SmolLM)
// are written in: each of the 256 bytes is one printable code point, the printable ASCII and
// Latin-1 bytes as themselves and the others (controls, space, 0x7F-0xA0, 0xAD) as U+0100
// onwards in byte order. A text's bytes map to those code points before BPE, and back after.
#pragma once

#include <string>

namespace scir {

// The UTF-8 of each byte's code point, concatenated over `bytes`.
std::string bytes_to_byte_level(const std::string& bytes);
// The inverse; false when `text` holds a code point outside the alphabet.
bool byte_level_to_bytes(const std::string& text, std::string& bytes);

}  // namespace scir
