// Unicode normalisation of UTF-8 text (ICU), for tokenizer.json normalizers: Qwen's files
// normalise every text to NFC before pre-tokenizing.
#pragma once

#include <string>

namespace scir {

enum class UnicodeForm { kNfc, kNfkc };

// `text` in the given normal form; an InputError when it is not valid UTF-8.
std::string normalize_unicode(const std::string& text, UnicodeForm form);

}  // namespace scir
