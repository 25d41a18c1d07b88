// Heap settings for training loops that allocate and free the same large tensors every step.
#pragma once

namespace scir {

// Keeps freed memory in the process instead of handing it back to the kernel: glibc maps
// blocks above its (adaptive) mmap threshold afresh on every allocation and trims the heap top
// on every free, so each step paid page faults on memory it had just released (11% of an SFT
// step's time at the demo size under perf; with these settings the step runs about 10% faster).
// Blocks up to 32 MB come from the heap, and up to 1 GB of freed heap stays mapped.
void keep_freed_memory();

}  // namespace scir
