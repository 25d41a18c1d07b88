// The commit this binary was built from (run.h5 /provenance git_sha), written at every build by
// cmake/BuildCommit.cmake: 12 hex digits, "-dirty" if tracked files had changes, or "unknown".
#pragma once

namespace scir {
extern const char kBuildCommit[];
}  // namespace scir
