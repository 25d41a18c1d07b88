// Restart states inside a training phase: every `every` steps each rank writes what it needs to
// go on from that step (its optimiser state, named columns of numbers such as the metrics so
// far or its pairs' bookkeeping; rank 0 also the weights, which every rank holds alike) under
// DIR/step_<s>/, each file under a temporary name then renamed, and rank 0 a DONE marker once all
// have written. `comm` is the data-parallel group; under tensor parallelism (the model's group)
// each rank's file is named by its copy and slice, and the first copy's ranks write the weights,
// one slice each. A rerun of the phase starts from the newest complete state; incomplete ones are
// ignored, older ones removed. With the same ranks and threads the steps after it are those the
// first run would have taken, so the phase ends with the same weights, byte for byte.
#pragma once

#include <string>

#include <map>
#include <vector>
#include "scir/dist/comm.h"
#include "scir/model/lora_adapter.h"
#include "scir/model/transformer.h"

#include "scir/train/data_parallel_optimizer.h"

namespace scir {

class TrainingState {
 public:
  TrainingState(std::string directory, int64_t every);
  bool enabled() const { return every_ > 0 && !directory_.empty(); }
  bool due(int64_t step) const { return enabled() && step % every_ == 0; }
  // The step of the newest complete state (0: none). Collective: rank 0 decides.
  int64_t latest(Comm& comm) const;
  using Columns = std::map<std::string, std::vector<double>>;
  // With a LoRA `adapter`, its weights are the ones trained and saved (the model's are frozen).
  void save(Comm& comm, int64_t step, Transformer& model, const DataParallelOptimizer& optimizer,
            const Columns& columns, const LoraAdapter* adapter = nullptr) const;
  // Fills the columns that `columns` names (the keys must be those saved).
  void load(Comm& comm, int64_t step, Transformer& model, DataParallelOptimizer& optimizer,
            Columns& columns, LoraAdapter* adapter = nullptr) const;
  // Removes the states (rank 0), once the phase is done.
  void clear(Comm& comm) const;

 private:
  std::string step_directory(int64_t step) const;
  std::string directory_;
  int64_t every_;
};

}  // namespace scir
