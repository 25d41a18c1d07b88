// Batched sampling with a KV cache: temperature, top-p, a cap on new tokens, EOS stop, or greedy.
// Each sequence draws from its own random stream derived from (seed, prompt id, sample index),
// its step s taking the stream's draw s (a counter: RngStream::uniform_at, and stream_uniforms on
// a device), so what it samples does not depend on which other sequences share its batch or
// rank, nor on the device.
#pragma once

#include <cstdint>
#include <vector>

#include "scir/model/transformer.h"

namespace scir {

struct SamplingOptions {
  double temperature = 0.7;
  double top_p = 0.9;
  int64_t max_new_tokens = 64;
  bool greedy = false;
  uint64_t seed = 0;
  // The decode loop that keeps everything on the model's device (a GPU model always takes it;
  // a CPU model takes it when asked, for tests: the same samples as the host loop).
  bool decode_on_device = false;
  // On the device, the host learns whether every row has finished every this many steps (each
  // time a synchronisation), and once at the end.
  int64_t finished_check_every = 8;
  // Rows decoded at once (0: every request). On the device, a row that has finished takes the
  // next waiting request at the next check, so a batch does not run at the pace of its longest
  // sample; the host loop decodes `slots` requests at a time. The samples are the same.
  int64_t slots = 0;
  // On a GPU, the decoding step is captured as a CUDA graph after two eager steps and replayed
  // (a LibTorch with CUDA, no tensor parallelism; model/cuda_decode_graph); false: eager steps.
  bool cuda_graph = true;
};

struct GenerationRequest {
  std::vector<int64_t> prompt;  // ids, BOS first
  uint64_t prompt_id = 0;
  uint64_t sample_index = 0;
};

// Returns each request's new tokens, without the prompt; a row ends at the first of stop_ids it
// generates, which is kept (none: every row runs to max_new_tokens).
std::vector<std::vector<int64_t>> generate(Transformer& model,
                                           const std::vector<GenerationRequest>& requests,
                                           const SamplingOptions& options,
                                           const std::vector<int64_t>& stop_ids, int64_t pad_id);

// Samples one token from logits [vocab] (float32, contiguous) with temperature and top-p, using
// u in [0, 1): the smallest set of most likely tokens whose probability reaches top_p is kept.
int64_t sample_top_p(const float* logits, int64_t vocab, double temperature, double top_p,
                     double u);
// The same rule for every row of logits [rows, vocab] at once, with tensor operations on the
// logits' device (float64), one u a row ([rows], float64, same device); returns [rows] ids.
// Generation uses it on GPUs, where copying the logits to the host and sorting them there
// would cost more than the forward.
torch::Tensor sample_top_p_rows(const torch::Tensor& logits, double temperature, double top_p,
                                const torch::Tensor& u);

}  // namespace scir
