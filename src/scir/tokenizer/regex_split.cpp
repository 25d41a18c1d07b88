#include "scir/tokenizer/regex_split.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "scir/core/errors.h"

namespace scir {

const char* const kGpt2SplitPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

struct RegexSplit::Compiled {
  pcre2_code* code = nullptr;
  std::string pattern, source;  // for errors
  ~Compiled() { pcre2_code_free(code); }
};

RegexSplit::RegexSplit(const std::string& pattern, const std::string& source)
    : compiled_(std::make_unique<Compiled>()) {
  compiled_->pattern = pattern;
  compiled_->source = source;
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

namespace {

// The byte after the code point that starts at `at` (one past the end at the end).
size_t next_code_point(const std::string& text, size_t at) {
  size_t next = at + 1;
  while (next < text.size() && (static_cast<unsigned char>(text[next]) & 0xC0) == 0x80) ++next;
  return next;
}

}  // namespace

std::vector<RegexSplit::Piece> RegexSplit::split(const std::string& text) const {
  std::vector<Piece> pieces;
  pcre2_match_data* match = pcre2_match_data_create_from_pattern(compiled_->code, nullptr);
  const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  // The matches as Oniguruma's iterator (tokenizers' regex engine) yields them: an empty match
  // is kept, except one found by a search that starts where the last match ended, after which
  // the search moves on by one code point.
  size_t search = 0, gap = 0;
  bool matched_before = false;
  size_t last_end = 0;
  while (search <= text.size()) {
    const int found = pcre2_match(compiled_->code, subject, text.size(), search, 0, match, nullptr);
    if (found == PCRE2_ERROR_NOMATCH) break;
    if (found < 0) {
      pcre2_match_data_free(match);
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(found, message, sizeof message);
      // The text was checked as UTF-8 before; what is left is the pattern's own cost, such as
      // a match limit, so the error names the pattern and its file.
      throw InputError(cat(compiled_->source, ": regular expression ", compiled_->pattern,
                           " fails on a text of ", text.size(),
                           " bytes (PCRE2: ", reinterpret_cast<const char*>(message), ")"));
    }
    const PCRE2_SIZE* at = pcre2_get_ovector_pointer(match);
    if (at[0] == at[1] && matched_before && last_end == search) {
      search = next_code_point(text, search);
      continue;
    }
    if (at[0] > gap) pieces.push_back({text.substr(gap, at[0] - gap), false});
    pieces.push_back({text.substr(at[0], at[1] - at[0]), true});
    gap = at[1];
    search = at[1];
    last_end = at[1];
    matched_before = true;
  }
  pcre2_match_data_free(match);
  if (gap < text.size()) pieces.push_back({text.substr(gap), false});
  return pieces;
}

}  // namespace scir
