#include "scir/core/memory_use.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace scir {

int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

int64_t peak_resident_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  // Linux records the high-water mark when resident memory shrinks, so the memory resident now
  // may not be in it yet.
  return std::max(static_cast<int64_t>(usage.ru_maxrss) * 1024, resident_bytes());
}

std::string megabytes(double bytes) {
  std::ostringstream text;
  text.precision(3);
  text << bytes / (1 << 20) << " MB";
  return text.str();
}

}  // namespace scir
