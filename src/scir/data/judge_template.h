// Judge prompts from template files. A pairwise template holds {instruction}, {response_a} and
// {response_b}; a pointwise one {instruction} and {response}. The rendered text ends where the
// verdict token ("A"/"B", or a score "0".."5") comes.
#pragma once

#include <string>
#include <vector>

namespace scir {

enum class JudgeKind { kPairwise, kPointwise };

class JudgeTemplate {
 public:
  // Reads the file (one final newline is dropped). A missing file, or a missing placeholder
  // for its kind, is an InputError naming the file and the placeholder.
  static JudgeTemplate from_file(const std::string& path, JudgeKind kind);
  static JudgeTemplate from_text(const std::string& text, JudgeKind kind,
                                 const std::string& source);

  std::string render_pairwise(const std::string& instruction, const std::string& response_a,
                              const std::string& response_b) const;
  std::string render_pointwise(const std::string& instruction, const std::string& response) const;

  JudgeKind kind() const { return kind_; }
  const std::string& text() const { return text_; }
  const std::string& source() const { return source_; }

 private:
  std::string text_;
  std::string source_;
  JudgeKind kind_ = JudgeKind::kPairwise;
};

// The template directory shipped with the sources (jobs/templates).
std::string default_template_dir();

}  // namespace scir
