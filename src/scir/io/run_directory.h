// The run directory: RUN/config.ini, RUN/main.log, RUN/run.h5, RUN/data/, RUN/ckpt/...; and
// the DONE markers that let a re-run skip finished phases.
#pragma once

#include <string>
#include <vector>

#include "scir/dist/comm.h"

namespace scir {

// What a finished phase left that later phases read: model directories (each must pass
// check_hf_model), files that must exist, and groups run.h5 must hold.
struct PhaseOutputs {
  std::vector<std::string> checkpoints, files, h5_groups;
};

class RunDirectory {
 public:
  explicit RunDirectory(std::string root);
  const std::string& root() const { return root_; }
  std::string path(const std::string& relative) const;
  std::string h5() const { return path("run.h5"); }

  // A phase is done when its marker RUN/.done/<phase> exists; the marker is written last.
  // Collective: rank 0 looks and every rank gets its answer, so all ranks take the same branch
  // even while rank 0 writes markers (a rank that looked later could otherwise skip a phase
  // the others are still in, and leave a collective unmatched).
  // With `checkpoint`, the phase counts as done only when that model directory passes
  // check_hf_model (files present, headers valid, sizes whole); an incomplete or corrupt one is
  // reported as a warning, its marker removed, and the phase runs again.
  bool done(Comm& comm, const std::string& phase, const std::string& checkpoint = "") const;
  // The same for any outputs: a marker whose outputs are missing or broken is reported as a
  // warning naming the first, removed, and the phase runs again from what is intact.
  bool done(Comm& comm, const std::string& phase, const PhaseOutputs& outputs) const;
  void mark_done(const std::string& phase) const;

 private:
  std::string root_;
};

}  // namespace scir
