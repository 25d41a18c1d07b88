// Learning rate: linear warm-up from 0 over warmup_steps, then cosine decay to
// peak * min_ratio at the last step.
#pragma once

#include <cstdint>

namespace scir {

struct LrSchedule {
  double peak = 1e-3;
  double min_ratio = 0.1;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  // The rate for step (0-based).
  double at(int64_t step) const;
};

}  // namespace scir
