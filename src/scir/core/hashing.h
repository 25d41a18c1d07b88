// Stable 64-bit hashes (FNV-1a): the same text gives the same number on every machine and run,
// so string ids can seed random streams.
#pragma once

#include <cstdint>
#include <string>

namespace scir {

inline uint64_t stable_hash(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char byte : text) {
    hash ^= byte;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace scir
