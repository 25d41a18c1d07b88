#include "scir/data/judge_template.h"

#include <fstream>
#include <sstream>

#include "scir/core/errors.h"

namespace scir {
namespace {

std::string replace_all(std::string text, const std::string& placeholder,
                        const std::string& value) {
  std::string out;
  size_t start = 0;
  for (size_t at; (at = text.find(placeholder, start)) != std::string::npos;
       start = at + placeholder.size()) {
    out += text.substr(start, at - start) + value;
  }
  return out + text.substr(start);
}

}  // namespace

JudgeTemplate JudgeTemplate::from_file(const std::string& path, JudgeKind kind) {
  std::ifstream file(path);
  if (!file) throw InputError(cat(path, ": cannot open judge template"));
  std::stringstream text;
  text << file.rdbuf();
  std::string content = text.str();
  if (!content.empty() && content.back() == '\n') content.pop_back();
  return from_text(content, kind, path);
}

JudgeTemplate JudgeTemplate::from_text(const std::string& text, JudgeKind kind,
                                       const std::string& source) {
  const std::vector<std::string> needed =
      kind == JudgeKind::kPairwise
          ? std::vector<std::string>{"{instruction}", "{response_a}", "{response_b}"}
          : std::vector<std::string>{"{instruction}", "{response}"};
  for (const std::string& placeholder : needed) {
    if (text.find(placeholder) == std::string::npos) {
      throw InputError(cat(source, ": judge template lacks the placeholder ", placeholder));
    }
  }
  JudgeTemplate judge;
  judge.text_ = text;
  judge.source_ = source;
  judge.kind_ = kind;
  return judge;
}

std::string JudgeTemplate::render_pairwise(const std::string& instruction,
                                           const std::string& response_a,
                                           const std::string& response_b) const {
  // Responses first, so an instruction that happens to contain "{response_a}" stays as it is.
  std::string text = replace_all(text_, "{response_a}", "\x01");
  text = replace_all(text, "{response_b}", "\x02");
  text = replace_all(text, "{instruction}", instruction);
  text = replace_all(text, "\x01", response_a);
  return replace_all(text, "\x02", response_b);
}

std::string JudgeTemplate::render_pointwise(const std::string& instruction,
                                            const std::string& response) const {
  std::string text = replace_all(text_, "{response}", "\x01");
  text = replace_all(text, "{instruction}", instruction);
  return replace_all(text, "\x01", response);
}

std::string default_template_dir() { return SCIR_TEMPLATE_DIR; }

}  // namespace scir
