// JSON Lines: one JSON object a line. Readers report the file and line of any defect; writers
// write under a temporary name and rename when complete, so no partial file is left behind.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace scir {

struct JsonlRecord {
  nlohmann::json value;
  int64_t line;  // 1-based, for messages
};

// Blank lines are skipped. Invalid JSON, a line that is not an object, or a file with no record
// is an InputError "<path>:<line>: ...".
std::vector<JsonlRecord> read_jsonl(const std::string& path);

// The field of a record, checked; errors name the path, line and field.
std::string string_field(const JsonlRecord& record, const std::string& path, const char* field);
std::vector<int64_t> ids_field(const JsonlRecord& record, const std::string& path,
                               const char* field);

// One JSON document on one line. Bytes that are not UTF-8 (a byte-level model can sample any
// byte) become U+FFFD, so the line is always valid JSON; exact ids travel in id fields.
std::string json_line(const nlohmann::json& value);

class JsonlWriter {
 public:
  // path "-" writes to stdout.
  explicit JsonlWriter(std::string path);
  ~JsonlWriter();
  void write(const nlohmann::json& value);
  // A line that is already one JSON document.
  void write_line(const std::string& json_text);
  // Renames the temporary file into place; without commit() the destructor removes it.
  void commit();

 private:
  std::string path_;
  std::string temporary_;
  std::ofstream file_;
  bool committed_ = false;
};

}  // namespace scir
