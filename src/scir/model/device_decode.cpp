#include "scir/model/device_decode.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>

#include "scir/core/errors.h"
#include "scir/core/logging.h"
#include "scir/model/cuda_decode_graph.h"
#include "scir/model/left_padded_prompts.h"
#include "scir/model/stream_uniforms.h"

namespace scir {
namespace {

class SlotDecoder {
 public:
  SlotDecoder(Transformer& model, const std::vector<GenerationRequest>& requests,
              const SamplingOptions& options, const std::vector<int64_t>& stop_ids, int64_t pad_id)
      : graph_(uses_cuda_graph(model, options) ? std::make_unique<DecodeStepGraph>(model.device())
                                               : nullptr),
        model_(model),
        requests_(requests),
        options_(options),
        pad_id_(pad_id) {
    const int64_t count = static_cast<int64_t>(requests.size());
    rows_ = options.slots > 0 ? std::min(options.slots, count) : count;
    for (const auto& request : requests)
      longest_ = std::max<int64_t>(longest_, request.prompt.size());
    const int64_t capacity = device_cache_positions(longest_, options.max_new_tokens, rows_ < count,
                                                    model.config().max_position_embeddings);
    on_device_ = torch::TensorOptions().device(model.device());
    cache_ = model.new_cache(rows_, capacity);
    cache_.write_index = torch::full({1}, longest_, on_device_.dtype(torch::kLong));
    // Zeros, not whatever the allocation held: a row's masked keys still enter the product of
    // the attention weights with the values, where a NaN left in unused memory would survive a
    // zero weight (refilled rows leave positions before their prompt unwritten).
    for (size_t layer = 0; layer < cache_.keys.size(); ++layer) {
      cache_.keys[layer].zero_();
      cache_.values[layer].zero_();
    }
    cache_.length = longest_;  // every prompt ends here
    mask_ = torch::zeros({rows_, capacity}, on_device_.dtype(torch::kLong));
    finished_ = torch::ones({rows_}, on_device_.dtype(torch::kBool));
    counts_ = torch::zeros({rows_}, on_device_.dtype(torch::kLong));
    produced_ =
        torch::full({rows_, options.max_new_tokens + 1}, pad_id, on_device_.dtype(torch::kLong));
    states_ = torch::zeros({rows_}, on_device_.dtype(torch::kLong));
    input_ = torch::full({rows_, 1}, pad_id, on_device_.dtype(torch::kLong));
    stops_ = torch::tensor(stop_ids, torch::kLong).to(model.device());
    slot_request_.assign(rows_, -1);
    slot_start_.assign(rows_, 0);
    outputs_.resize(requests.size());
  }

  std::vector<std::vector<int64_t>> run() {
    int64_t since_check = 0;
    int64_t until_capped = 0;  // steps until every row has max_new_tokens or has stopped
    while (true) {
      if (since_check == options_.finished_check_every || until_capped == 0 ||
          cache_.length == cache_.capacity) {
        since_check = 0;
        if (!check(until_capped)) break;
      }
      step();
      ++since_check;
      --until_capped;
    }
    return std::move(outputs_);
  }

 private:
  // The one synchronisation: reads the finished flags, takes the finished rows' tokens, shifts
  // the cache when it is full, refills free slots. False when no row is left to decode.
  bool check(int64_t& until_capped) {
    while (true) {
      const torch::Tensor flags = finished_.to(torch::kCPU);
      const bool* is_finished = flags.data_ptr<bool>();
      std::vector<int64_t> done, free;
      for (int64_t b = 0; b < rows_; ++b) {
        if (!is_finished[b]) continue;
        if (slot_request_[b] >= 0) done.push_back(b);
        free.push_back(b);
      }
      collect(done);
      if (cache_.length == cache_.capacity) shift_to_start();
      const size_t waiting = requests_.size() - next_request_;
      if (free.empty() || waiting == 0) break;
      free.resize(std::min(free.size(), waiting));
      refill(free);
      until_capped = options_.max_new_tokens - 1;
    }
    return std::any_of(slot_request_.begin(), slot_request_.end(),
                       [](int64_t r) { return r >= 0; });
  }

  void collect(const std::vector<int64_t>& slots) {
    if (slots.empty()) return;
    const torch::Tensor index = torch::tensor(slots, torch::kLong).to(model_.device());
    const torch::Tensor tokens = produced_.index_select(0, index).to(torch::kCPU).contiguous();
    const torch::Tensor counts = counts_.index_select(0, index).to(torch::kCPU);
    const auto token_rows = tokens.accessor<int64_t, 2>();
    const auto count_of = counts.accessor<int64_t, 1>();
    for (size_t i = 0; i < slots.size(); ++i) {
      auto& output = outputs_[slot_request_[slots[i]]];
      for (int64_t k = 0; k < count_of[i]; ++k) output.push_back(token_rows[i][k]);
      slot_request_[slots[i]] = -1;
    }
  }

  // The next waiting requests into `slots`: their prompts' keys and values end at the cache
  // index every row writes next, and their first tokens are sampled from the prefill.
  void refill(const std::vector<int64_t>& slots) {
    const int64_t n = static_cast<int64_t>(slots.size());
    const std::vector<GenerationRequest> requests(requests_.begin() + next_request_,
                                                  requests_.begin() + next_request_ + n);
    const LeftPaddedPrompts prompts = left_padded(requests, options_.seed, 0, pad_id_);
    const int64_t longest = prompts.longest;
    const int64_t end = cache_.length;
    for (int64_t i = 0; i < n; ++i) {
      slot_request_[slots[i]] = static_cast<int64_t>(next_request_++);
      slot_start_[slots[i]] = end - static_cast<int64_t>(requests[i].prompt.size());
    }
    KvCache prefill = model_.new_cache(n, longest);
    const torch::Tensor hidden = model_.hidden(prompts.ids, prompts.mask, &prefill);
    const torch::Tensor new_states = stream_states(prompts.streams, model_.device());
    const torch::Tensor first = choose(model_.logits(hidden.select(1, longest - 1)), new_states,
                                       torch::zeros({n}, on_device_.dtype(torch::kLong)));
    const torch::Tensor index = torch::tensor(slots, torch::kLong).to(model_.device());
    for (size_t layer = 0; layer < cache_.keys.size(); ++layer) {
      cache_.keys[layer]
          .narrow(2, end - longest, longest)
          .index_copy_(0, index, prefill.keys[layer]);
      cache_.values[layer]
          .narrow(2, end - longest, longest)
          .index_copy_(0, index, prefill.values[layer]);
    }
    mask_.index_fill_(0, index, 0);
    mask_.narrow(1, end - longest, longest).index_copy_(0, index, prompts.mask.to(model_.device()));
    // The first token is the next step's input, at the index every row writes next.
    mask_.select(1, end).index_fill_(0, index, 1);
    states_.index_copy_(0, index, new_states);
    produced_.select(1, 0).index_copy_(0, index, first);
    counts_.index_fill_(0, index, 1);
    finished_.index_copy_(0, index, stopped(first, 1));
    input_.select(1, 0).index_copy_(0, index, first);
  }

  // One token for every row; finished rows compute and drop theirs. After two eager steps (the
  // warm-up a capture needs), on a GPU, the step is captured once and replayed.
  void step() {
    ++steps_;
    if (graph_ && captured_) {
      model_.check_sequence_length(cache_.length + 1);
      graph_->replay();
      ++cache_.length;
      return;
    }
    if (graph_ && steps_ == 3) {
      const int64_t length = cache_.length;
      captured_ = graph_->capture([this] { decode_step(); });
      cache_.length = length;  // the capture ran the host's side of the step, not the step
      if (captured_) {
        graph_->replay();
        ++cache_.length;
        return;
      }
    }
    decode_step();
  }

  // Reads and writes only the decoder's tensors, in place, and the cache at its write index.
  void decode_step() {
    const torch::Tensor hidden = model_.hidden(input_, mask_, &cache_);
    const torch::Tensor chosen = choose(model_.logits(hidden.select(1, 0)), states_, counts_)
                                     .masked_fill(finished_, pad_id_);
    // A finished row writes into the spare last column.
    const torch::Tensor column = counts_.masked_fill(finished_, options_.max_new_tokens);
    produced_.scatter_(1, column.unsqueeze(1), chosen.unsqueeze(1));
    counts_.add_(finished_.logical_not().to(torch::kLong));
    finished_.logical_or_(stopped(chosen, counts_));
    // The next index written holds a token of every row still going (at a full cache, the last
    // index is written instead, harmlessly, and the cache is shifted before the next step).
    const torch::Tensor next =
        cache_.write_index.clamp_max(cache_.capacity - 1).view({1, 1}).expand({rows_, 1});
    mask_.scatter_(1, next, finished_.logical_not().to(torch::kLong).unsqueeze(1));
    input_.copy_(chosen.unsqueeze(1));
  }

  // Moves every live row's keys, values and mask (which start at or after `shift`) to the
  // start of the cache; the next index written becomes the longest live row's end.
  void shift_to_start() {
    int64_t live = longest_;
    for (int64_t b = 0; b < rows_; ++b)
      if (slot_request_[b] >= 0) live = std::max(live, cache_.length - slot_start_[b]);
    const int64_t shift = cache_.length - live;
    if (shift <= 0) throw InternalError(cat("KV cache of ", cache_.capacity, " positions is full"));
    for (size_t layer = 0; layer < cache_.keys.size(); ++layer) {
      for (torch::Tensor* tensor : {&cache_.keys[layer], &cache_.values[layer]})
        tensor->narrow(2, 0, live).copy_(tensor->narrow(2, shift, live).clone());
    }
    mask_.narrow(1, 0, live).copy_(mask_.narrow(1, shift, live).clone());
    mask_.narrow(1, live, cache_.capacity - live).zero_();
    mask_.select(1, live).copy_(finished_.logical_not());
    cache_.length = live;
    cache_.write_index.fill_(live);
    for (int64_t b = 0; b < rows_; ++b) slot_start_[b] -= shift;
  }

  torch::Tensor choose(const torch::Tensor& logits, const torch::Tensor& states,
                       const torch::Tensor& draws) const {
    if (options_.greedy) return logits.argmax(-1);
    return sample_top_p_rows(logits, options_.temperature, options_.top_p,
                             stream_uniforms(states, draws));
  }

  // Rows whose token is a stop id or whose count reached max_new_tokens (a comparison with
  // every stop id: torch::isin may sort, which a graph may not capture).
  torch::Tensor is_stop_id(const torch::Tensor& tokens) const {
    return tokens.unsqueeze(1).eq(stops_.unsqueeze(0)).any(1);
  }
  torch::Tensor stopped(const torch::Tensor& tokens, const torch::Tensor& counts) const {
    return is_stop_id(tokens).logical_or(counts >= options_.max_new_tokens);
  }
  torch::Tensor stopped(const torch::Tensor& tokens, int64_t count) const {
    const torch::Tensor stop = is_stop_id(tokens);
    return count >= options_.max_new_tokens ? torch::ones_like(stop) : stop;
  }

  static bool uses_cuda_graph(const Transformer& model, const SamplingOptions& options) {
    if (!options.cuda_graph || !model.device().is_cuda()) return false;
    const std::string unsupported = cuda_graph_unsupported(model);
    if (!unsupported.empty()) {
      static std::atomic<bool> logged{false};
      if (!logged.exchange(true))
        log_info(cat("generation: eager decoding steps, no CUDA graph: ", unsupported));
    }
    return unsupported.empty();
  }

  // First: its side stream is current while the decoder's tensors are made and used.
  std::unique_ptr<DecodeStepGraph> graph_;
  bool captured_ = false;
  int64_t steps_ = 0;
  Transformer& model_;
  const std::vector<GenerationRequest>& requests_;
  const SamplingOptions& options_;
  int64_t pad_id_;
  int64_t rows_ = 0;
  int64_t longest_ = 0;  // the longest prompt of all requests
  torch::TensorOptions on_device_;
  KvCache cache_;
  torch::Tensor mask_;      // [rows, capacity]: 1 where a row's key is a real token
  torch::Tensor finished_;  // [rows]: the slot has no request decoding
  torch::Tensor counts_;    // [rows]: tokens its request has produced
  torch::Tensor produced_;  // [rows, max_new_tokens + 1]: those tokens
  torch::Tensor states_;    // [rows]: its request's random stream
  torch::Tensor input_;     // [rows, 1]: the token the next step feeds
  torch::Tensor stops_;
  std::vector<int64_t> slot_request_;  // the request a slot decodes, -1 none
  std::vector<int64_t> slot_start_;    // the cache index of its prompt's first token
  size_t next_request_ = 0;
  std::vector<std::vector<int64_t>> outputs_;
};

}  // namespace

int64_t device_cache_positions(int64_t longest_prompt, int64_t max_new_tokens, bool refilling,
                               int64_t max_positions) {
  // A live row holds its prompt and at most max_new_tokens - 1 tokens, so without refills the
  // cache index never passes longest_prompt + max_new_tokens - 1; a shift of the cache always
  // frees at least one position.
  const int64_t least = longest_prompt + max_new_tokens;
  if (!refilling) return least;
  return std::max(least, std::min(least + max_new_tokens, max_positions));
}

std::vector<std::vector<int64_t>> decode_on_device(Transformer& model,
                                                   const std::vector<GenerationRequest>& requests,
                                                   const SamplingOptions& options,
                                                   const std::vector<int64_t>& stop_ids,
                                                   int64_t pad_id) {
  return SlotDecoder(model, requests, options, stop_ids, pad_id).run();
}

}  // namespace scir
