// What this process holds in memory, as the operating system counts it: resident bytes now
// and the peak since the process started (getrusage; Linux counts it in KiB). On a GPU the
// device's own allocator is the measure instead (not here yet).
#pragma once

#include <cstdint>
#include <string>

namespace scir {

int64_t resident_bytes();
int64_t peak_resident_bytes();
// "12.3 MB" (2^20 bytes a MB, three significant digits).
std::string megabytes(double bytes);

}  // namespace scir
