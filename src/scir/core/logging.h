// Rank-aware logging. Rank 0 writes information lines to stdout and, once a run directory is
// known, to RUN/main.log, each with a timestamp. Warnings and errors from any rank go to stderr
// (and main.log on rank 0) carrying the rank. The logger is process-wide: configured once by
// main after MPI starts, like the process grid.
#pragma once

#include <string>

namespace scir {

enum class LogLevel { kInfo, kWarn, kError };

// Set by main once the rank is known; before that every process logs as rank 0 of 1.
void log_set_rank(int rank, int size);
// Opens (appends to) the main log file; rank 0 only writes it. An unwritable path is an
// InputError naming it.
void log_open_file(const std::string& path);
void log_close_file();

void log_line(LogLevel level, const std::string& message);
inline void log_info(const std::string& message) { log_line(LogLevel::kInfo, message); }
inline void log_warn(const std::string& message) { log_line(LogLevel::kWarn, message); }
inline void log_error(const std::string& message) { log_line(LogLevel::kError, message); }

// "2026-11-27 01:02:03" in local time.
std::string timestamp_now();
// "42s" or "3m07s", for progress lines.
std::string format_duration(double seconds);

}  // namespace scir
