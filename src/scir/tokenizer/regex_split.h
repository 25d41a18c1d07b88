// Splitting text at the matches of a Unicode regular expression (PCRE2, UTF and Unicode
// properties on), as tokenizers' pre-tokenizers do: the GPT-2 pattern of ByteLevel, and the
// Split patterns of Llama 3 and Qwen.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace scir {

class RegexSplit {
 public:
  // An InputError naming `source` when the pattern does not compile.
  RegexSplit(const std::string& pattern, const std::string& source);
  ~RegexSplit();
  RegexSplit(const RegexSplit&) = delete;
  RegexSplit& operator=(const RegexSplit&) = delete;

  // The text cut into its matches and the text between them, in order, as tokenizers' regex
  // patterns cut it: matches may be empty, gaps never are (what is kept of them is
  // split_behavior's). `text` must be valid UTF-8; a PCRE2 failure on it (a match limit) is
  // an InputError naming `source` and the pattern.
  struct Piece {
    std::string text;
    bool matched;
  };
  std::vector<Piece> split(const std::string& text) const;

 private:
  struct Compiled;
  std::unique_ptr<Compiled> compiled_;
};

// The pattern tokenizers' ByteLevel pre-tokenizer uses with use_regex (GPT-2's).
extern const char* const kGpt2SplitPattern;

}  // namespace scir
