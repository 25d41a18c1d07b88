#include "scir/core/allocator.h"

#include <malloc.h>

namespace scir {

void keep_freed_memory() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest allowed threshold on 64-bit hosts
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

}  // namespace scir
