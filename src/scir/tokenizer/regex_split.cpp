#include "scir/tokenizer/regex_split.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "scir/core/errors.h"

namespace scir {

const char* const kGpt2SplitPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

struct RegexSplit::Compiled {
  pcre2_code* code = nullptr;
  ~Compiled() { pcre2_code_free(code); }
};

RegexSplit::RegexSplit(const std::string& pattern, const std::string& source)
    : compiled_(std::make_unique<Compiled>()) {
  int error = 0;
  PCRE2_SIZE offset = 0;
  compiled_->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                  PCRE2_UTF | PCRE2_UCP, &error, &offset, nullptr);
  if (compiled_->code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    throw InputError(cat(source, ": regular expression does not compile at offset ", offset, " (",
                         reinterpret_cast<const char*>(message), "): ", pattern));
  }
  pcre2_jit_compile(compiled_->code, PCRE2_JIT_COMPLETE);  // slower without, same matches
}

RegexSplit::~RegexSplit() = default;

std::vector<RegexSplit::Piece> RegexSplit::split(const std::string& text) const {
  std::vector<Piece> pieces;
  pcre2_match_data* match = pcre2_match_data_create_from_pattern(compiled_->code, nullptr);
  const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  size_t start = 0, gap = 0;
  while (start <= text.size()) {
    const int found = pcre2_match(compiled_->code, subject, text.size(), start, 0, match, nullptr);
    if (found == PCRE2_ERROR_NOMATCH) break;
    if (found < 0) {
      pcre2_match_data_free(match);
      throw InputError(
          cat("text is not valid UTF-8 (PCRE2 error ", found, " at byte ", start, ")"));
    }
    const PCRE2_SIZE* at = pcre2_get_ovector_pointer(match);
    if (at[0] > gap) pieces.push_back({text.substr(gap, at[0] - gap), false});
    if (at[1] > at[0]) pieces.push_back({text.substr(at[0], at[1] - at[0]), true});
    gap = at[1];
    if (at[1] == at[0]) {
      // An empty match: step over one code point so the search moves on.
      if (at[1] >= text.size()) break;
      start = at[1] + 1;
      while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80)
        ++start;
    } else {
      start = at[1];
    }
  }
  pcre2_match_data_free(match);
  if (gap < text.size()) pieces.push_back({text.substr(gap), false});
  return pieces;
}

}  // namespace scir
