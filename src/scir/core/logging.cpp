#include "scir/core/logging.h"

#include <ctime>
#include <fstream>
#include <iostream>
#include <mutex>

#include "scir/core/errors.h"

namespace scir {
namespace {

struct LoggerState {
  std::mutex mutex;
  int rank = 0;
  int size = 1;
  std::ofstream file;
};

LoggerState& state() {
  static LoggerState logger;
  return logger;
}

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "?";
}

}  // namespace

std::string timestamp_now() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

std::string format_duration(double seconds) {
  const int total = static_cast<int>(seconds + 0.5);
  if (total < 60) return cat(total, "s");
  const int rest = total % 60;
  return cat(total / 60, "m", rest < 10 ? "0" : "", rest, "s");
}

void log_set_rank(int rank, int size) {
  std::lock_guard<std::mutex> lock(state().mutex);
  state().rank = rank;
  state().size = size;
}

void log_open_file(const std::string& path) {
  std::lock_guard<std::mutex> lock(state().mutex);
  if (state().rank != 0) return;
  state().file.close();
  state().file.open(path, std::ios::app);
  if (!state().file) throw InputError("cannot write log file '" + path + "'");
}

void log_close_file() {
  std::lock_guard<std::mutex> lock(state().mutex);
  state().file.close();
}

void log_line(LogLevel level, const std::string& message) {
  LoggerState& logger = state();
  std::lock_guard<std::mutex> lock(logger.mutex);
  if (level == LogLevel::kInfo && logger.rank != 0) return;
  std::string line = "[" + timestamp_now() + "]";
  if (level != LogLevel::kInfo) {
    line += cat(" [rank ", logger.rank, "/", logger.size, "] ", level_name(level), ":");
  }
  line += " " + message;
  std::ostream& console = level == LogLevel::kInfo ? std::cout : std::cerr;
  console << line << std::endl;
  if (logger.file.is_open()) logger.file << line << std::endl;
}

}  // namespace scir
