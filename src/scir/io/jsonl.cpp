#include "scir/io/jsonl.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "scir/core/errors.h"

namespace scir {

std::vector<JsonlRecord> read_jsonl(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw InputError(cat(path, ": cannot open (expected a JSONL file)"));
  std::vector<JsonlRecord> records;
  std::string line;
  int64_t number = 0;
  while (std::getline(file, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json value = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) throw InputError(cat(path, ":", number, ": invalid JSON"));
    if (!value.is_object()) throw InputError(cat(path, ":", number, ": expected a JSON object"));
    records.push_back({std::move(value), number});
  }
  if (records.empty()) throw InputError(cat(path, ": empty (expected one JSON object a line)"));
  return records;
}

std::string string_field(const JsonlRecord& record, const std::string& path, const char* field) {
  if (!record.value.contains(field)) {
    throw InputError(cat(path, ":", record.line, ": missing field '", field, "'"));
  }
  if (!record.value[field].is_string()) {
    throw InputError(cat(path, ":", record.line, ": field '", field, "' must be a string"));
  }
  return record.value[field].get<std::string>();
}

std::vector<int64_t> ids_field(const JsonlRecord& record, const std::string& path,
                               const char* field) {
  if (!record.value.contains(field)) {
    throw InputError(cat(path, ":", record.line, ": missing field '", field, "'"));
  }
  const nlohmann::json& list = record.value[field];
  if (!list.is_array()) {
    throw InputError(
        cat(path, ":", record.line, ": field '", field, "' must be a list of token ids"));
  }
  std::vector<int64_t> ids;
  for (const auto& id : list) {
    if (!id.is_number_integer()) {
      throw InputError(cat(path, ":", record.line, ": field '", field, "' must hold integers"));
    }
    ids.push_back(id.get<int64_t>());
  }
  return ids;
}

JsonlWriter::JsonlWriter(std::string path) : path_(std::move(path)) {
  if (path_ == "-") return;
  temporary_ = cat(path_, ".tmp-", getpid());
  file_.open(temporary_, std::ios::trunc);
  if (!file_) throw InputError(cat(path_, ": cannot write"));
}

JsonlWriter::~JsonlWriter() {
  if (!committed_ && !temporary_.empty()) {
    file_.close();
    std::remove(temporary_.c_str());
  }
}

std::string json_line(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void JsonlWriter::write(const nlohmann::json& value) { write_line(json_line(value)); }

void JsonlWriter::write_line(const std::string& json_text) {
  std::ostream& out = path_ == "-" ? std::cout : file_;
  out << json_text << "\n";
}

void JsonlWriter::commit() {
  if (path_ == "-") {
    std::cout.flush();
  } else {
    file_.close();
    if (!file_) throw InputError(cat(path_, ": write failed"));
    std::filesystem::rename(temporary_, path_);
  }
  committed_ = true;
}

}  // namespace scir
