#include "scir/train/training_state.h"

#include <filesystem>
#include <fstream>

#include "scir/core/errors.h"
#include "scir/core/logging.h"
#include "scir/model/precision.h"

namespace scir {
namespace fs = std::filesystem;

namespace {

void write_column(torch::serialize::OutputArchive& archive, const std::string& name,
                  const std::vector<double>& values) {
  archive.write("metrics_" + name, torch::tensor(values, torch::kDouble));
}

std::vector<double> read_column(torch::serialize::InputArchive& archive, const std::string& name) {
  torch::Tensor values;
  archive.read("metrics_" + name, values);
  return to_doubles(values);
}

// Where a rank stands: its model copy (rank in the data-parallel group) and its slice (rank in
// the model's tensor-parallel group, 0 without one).
struct StatePlace {
  int copy = 0, slice = 0;
  Comm* tensor = nullptr;
  std::string file_name(int of_copy) const {
    return tensor ? cat("rank_", of_copy, "_slice_", slice, ".pt") : cat("rank_", of_copy, ".pt");
  }
  // The first rank of the first copy writes the directory and the DONE marker.
  bool first() const { return copy == 0 && slice == 0; }
  // A barrier of every rank of the job: the data group, then the tensor group.
  void barrier(Comm& data) const {
    data.barrier();
    if (tensor) tensor->barrier();
  }
};

StatePlace place_of(Comm& comm, const Transformer& model) {
  StatePlace place;
  place.copy = comm.rank();
  place.tensor = model.tensor_parallel_group();
  if (place.tensor) place.slice = place.tensor->rank();
  return place;
}

std::map<std::string, torch::Tensor> trained_weights(const Transformer& model,
                                                     const LoraAdapter* adapter) {
  return adapter ? adapter->named_weights() : model.named_weights();
}

}  // namespace

TrainingState::TrainingState(std::string directory, int64_t every)
    : directory_(std::move(directory)), every_(every) {}

std::string TrainingState::step_directory(int64_t step) const {
  return (fs::path(directory_) / cat("step_", step)).string();
}

int64_t TrainingState::latest(Comm& comm) const {
  int64_t newest = 0;
  if (enabled() && comm.rank() == 0 && fs::is_directory(directory_)) {
    for (const auto& entry : fs::directory_iterator(directory_)) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("step_", 0) != 0 || !fs::exists(entry.path() / "DONE")) continue;
      newest = std::max<int64_t>(newest, std::stoll(name.substr(5)));
    }
  }
  return static_cast<int64_t>(all_reduce_scalar(comm, static_cast<double>(newest), ReduceOp::kMax));
}

void TrainingState::save(Comm& comm, int64_t step, Transformer& model,
                         const DataParallelOptimizer& optimizer, const Columns& columns,
                         const LoraAdapter* adapter) const {
  const StatePlace place = place_of(comm, model);
  const fs::path here = step_directory(step);
  if (place.first()) fs::create_directories(here);
  place.barrier(comm);
  torch::serialize::OutputArchive archive;
  archive.write("step", torch::tensor(step, torch::kLong));
  optimizer.save(archive);
  int64_t column = 0;  // by position in name order: archive keys may not hold dots
  for (const auto& [name, values] : columns) write_column(archive, cat(column++), values);
  if (place.copy == 0) {
    int64_t index = 0;  // by position in name order: archive keys may not hold dots
    for (const auto& [name, weight] : trained_weights(model, adapter))
      archive.write(cat("weight_", index++), weight);
  }
  const fs::path file = here / place.file_name(place.copy);
  archive.save_to(file.string() + ".tmp");
  fs::rename(file.string() + ".tmp", file);
  place.barrier(comm);  // every rank's file is in place before the marker
  if (place.first()) {
    std::ofstream(here / "DONE.tmp") << step << "\n";
    fs::rename(here / "DONE.tmp", here / "DONE");
    for (const auto& entry : fs::directory_iterator(directory_)) {
      if (entry.path() != here) fs::remove_all(entry.path());  // older or incomplete states
    }
  }
  place.barrier(comm);
}

void TrainingState::load(Comm& comm, int64_t step, Transformer& model,
                         DataParallelOptimizer& optimizer, Columns& columns,
                         LoraAdapter* adapter) const {
  const StatePlace place = place_of(comm, model);
  const fs::path here = step_directory(step);
  const fs::path file = here / place.file_name(place.copy);
  if (!fs::exists(file)) {
    throw InputError(cat(file.string(), ": missing; the state of step ", step,
                         " was written by another rank count or --tp"));
  }
  torch::serialize::InputArchive archive;
  archive.load_from(file.string());
  optimizer.load(archive);
  int64_t column = 0;
  for (auto& [name, values] : columns) values = read_column(archive, cat(column++));
  // The weights (this rank's slice) from the first copy's file, on every copy (a shared file
  // system, as for the run).
  torch::serialize::InputArchive weights;
  weights.load_from((here / place.file_name(0)).string());
  torch::NoGradGuard no_grad;
  int64_t index = 0;
  for (auto& [name, weight] : trained_weights(model, adapter)) {
    torch::Tensor saved;
    weights.read(cat("weight_", index++), saved);
    if (saved.sizes() != weight.sizes())
      throw InputError(cat(here.string(), ": weight ", name, " has another shape in the state"));
    weight.copy_(saved);
  }
  log_info(cat("resuming from the state of step ", step, " in ", here.string()));
}

void TrainingState::clear(Comm& comm) const {
  if (enabled() && comm.rank() == 0) fs::remove_all(directory_);
}

}  // namespace scir
