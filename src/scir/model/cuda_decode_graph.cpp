#include "scir/model/cuda_decode_graph.h"

#include <atomic>

#include "scir/core/errors.h"
#include "scir/core/logging.h"

#ifdef SCIR_TORCH_CUDA
#include <ATen/cuda/CUDAGraph.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

namespace scir {

std::string cuda_graph_unsupported(const Transformer& model) {
#ifndef SCIR_TORCH_CUDA
  (void)model;
  return "this LibTorch has no CUDA";
#else
  if (!model.device().is_cuda()) return "the model is not on a GPU";
  if (model.tensor_parallel()) return "tensor parallelism (its collectives are not captured)";
  return "";
#endif
}

#ifdef SCIR_TORCH_CUDA
struct DecodeStepGraph::State {
  explicit State(const torch::Device& device)
      : stream(c10::cuda::getStreamFromPool(/*isHighPriority=*/false, device.index())),
        guard(stream) {}
  c10::cuda::CUDAStream stream;
  c10::cuda::CUDAStreamGuard guard;
  at::cuda::CUDAGraph graph;
};

DecodeStepGraph::DecodeStepGraph(const torch::Device& device) {
  // The side stream does not wait for the default stream by itself.
  c10::cuda::getCurrentCUDAStream(device.index()).synchronize();
  state_ = std::make_unique<State>(device);
}

bool DecodeStepGraph::capture(const std::function<void()>& step) {
  try {
    state_->graph.capture_begin();
    try {
      step();
    } catch (...) {
      try {
        state_->graph.capture_end();
      } catch (...) {
      }
      throw;
    }
    state_->graph.capture_end();
    return true;
  } catch (const c10::Error& error) {
    static std::atomic<bool> logged{false};
    if (!logged.exchange(true)) {
      const std::string what = error.what_without_backtrace();
      log_warn(cat("generation: the decoding step could not be captured as a CUDA graph, so it ",
                   "runs eagerly: ", what.substr(0, what.find('\n'))));
    }
    return false;
  }
}

void DecodeStepGraph::replay() { state_->graph.replay(); }
#else
struct DecodeStepGraph::State {};

DecodeStepGraph::DecodeStepGraph(const torch::Device&) {
  throw InternalError("a CUDA graph in a LibTorch without CUDA");
}

bool DecodeStepGraph::capture(const std::function<void()>&) { return false; }

void DecodeStepGraph::replay() {}
#endif

DecodeStepGraph::~DecodeStepGraph() = default;

}  // namespace scir
