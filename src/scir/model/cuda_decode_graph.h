// A CUDA graph of generation's decoding step (model/device_decode): recorded once a generate
// call, after two eager steps, and replayed for the rest, so that a step costs one launch
// instead of the host dispatching every layer's operators. It needs a LibTorch with CUDA; the
// step must touch only tensors whose storage stays put between replays (the cache, the mask and
// the decoder's state, updated in place, with the cache's write_index on the device).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "scir/model/transformer.h"

namespace scir {

// Why a decoding step of `model` cannot be captured here ("" when it can): no CUDA in this
// LibTorch, a model off the GPU, or tensor parallelism (its collectives are not captured).
std::string cuda_graph_unsupported(const Transformer& model);

class DecodeStepGraph {
 public:
  // From here on, the current stream of `device` is a side stream of its own (a graph cannot
  // be captured on the default stream), after the work queued before has finished.
  explicit DecodeStepGraph(const torch::Device& device);
  ~DecodeStepGraph();

  // Records `step` without running it. False when capture fails (logged once with the reason):
  // then the step runs eagerly, as before.
  bool capture(const std::function<void()>& step);
  void replay();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace scir
