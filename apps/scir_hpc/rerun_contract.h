// A run directory belongs to one job. A rerun into a directory where a job has started is
// checked against the options that job recorded (RUN/config.ini) before anything is written:
// every option that changes the computation of a phase already done or started must be the same.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace scir::app {

// Throws an InputError naming the first option that differs, with both values, when `options`
// (every option's effective value, as OptionSet::effective_values gives them) would change a
// phase the job recorded in `directory` has reached. Options that cannot change results may
// differ: progress lines, the watchdog's timeout, restart-state frequency, replica checks, and
// the layout (threads, tp, device, gradient buckets: the same sums in another float order).
// scir.iterations may grow. A directory with no recorded job passes.
void check_rerun_options(const std::string& directory,
                         const std::vector<std::pair<std::string, std::string>>& options);

}  // namespace scir::app
