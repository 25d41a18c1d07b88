#include "scir/tokenizer/unicode_normalization.h"

#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include <vector>

#include "scir/core/errors.h"

namespace scir {
namespace {

void check(UErrorCode status, const char* step) {
  if (U_FAILURE(status)) {
    throw InputError(cat("Unicode normalisation: ", step, " failed (", u_errorName(status),
                         "); expected valid UTF-8 text"));
  }
}

}  // namespace

std::string normalize_unicode(const std::string& text, UnicodeForm form) {
  if (text.empty()) return text;
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2* normalizer =
      form == UnicodeForm::kNfc ? unorm2_getNFCInstance(&status) : unorm2_getNFKCInstance(&status);
  check(status, "loading the normaliser");
  // ICU works on UTF-16: in, normalise, out.
  std::vector<UChar> wide(text.size() + 1);
  int32_t wide_length = 0;
  u_strFromUTF8(wide.data(), static_cast<int32_t>(wide.size()), &wide_length, text.data(),
                static_cast<int32_t>(text.size()), &status);
  check(status, "reading UTF-8");
  // NFKC can expand a code point to many (up to 18 for U+FDFA); NFC to at most 3.
  std::vector<UChar> normal(static_cast<size_t>(wide_length) * 18 + 1);
  const int32_t normal_length =
      unorm2_normalize(normalizer, wide.data(), wide_length, normal.data(),
                       static_cast<int32_t>(normal.size()), &status);
  check(status, "normalising");
  std::string out(static_cast<size_t>(normal_length) * 3 + 1, '\0');
  int32_t out_length = 0;
  u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &out_length, normal.data(),
              normal_length, &status);
  check(status, "writing UTF-8");
  out.resize(static_cast<size_t>(out_length));
  return out;
}

}  // namespace scir
