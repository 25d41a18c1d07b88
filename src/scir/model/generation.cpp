#include "scir/model/generation.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "scir/core/errors.h"
#include "scir/core/rng.h"
#include "scir/model/cpu_decoder.h"
#include "scir/model/device_decode.h"
#include "scir/model/left_padded_prompts.h"
#include "scir/model/precision.h"

namespace scir {

int64_t sample_top_p(const float* logits, int64_t vocab, double temperature, double top_p,
                     double u) {
  const float largest = *std::max_element(logits, logits + vocab);
  std::vector<double> probability(vocab);
  double total = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    probability[i] = std::exp((logits[i] - largest) / temperature);
    total += probability[i];
  }
  std::vector<int64_t> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  // Most likely first; ties by id so the order is fully determined.
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return probability[a] != probability[b] ? probability[a] > probability[b] : a < b;
  });
  double kept = 0;
  int64_t nucleus = 0;
  while (nucleus < vocab && (nucleus == 0 || kept < top_p * total))
    kept += probability[order[nucleus++]];
  double target = u * kept;
  for (int64_t i = 0; i < nucleus; ++i) {
    target -= probability[order[i]];
    if (target < 0) return order[i];
  }
  return order[nucleus - 1];
}

torch::Tensor sample_top_p_rows(const torch::Tensor& logits, double temperature, double top_p,
                                const torch::Tensor& u) {
  const torch::Tensor scaled = logits.to(torch::kDouble);
  const torch::Tensor probability =
      ((scaled - std::get<0>(scaled.max(-1, true))) / temperature).exp();
  // Most likely first; a stable sort keeps tied tokens in id order.
  const auto [sorted, order] = probability.sort(/*stable=*/true, /*dim=*/-1, /*descending=*/true);
  const torch::Tensor cumulative = sorted.cumsum(-1);
  // The nucleus ends at the first token where the running sum reaches top_p of the total (the
  // last running sum, so that top_p = 1 always ends inside the vocabulary).
  const torch::Tensor reached =
      cumulative >= top_p * cumulative.narrow(-1, cumulative.size(-1) - 1, 1);
  const torch::Tensor nucleus_end = reached.to(torch::kInt).argmax(-1, true);
  const torch::Tensor kept = cumulative.gather(-1, nucleus_end);
  // The first token whose running sum passes u * kept, never past the nucleus.
  const torch::Tensor passed = cumulative > u.unsqueeze(-1) * kept;
  const torch::Tensor position =
      torch::minimum(passed.to(torch::kInt).argmax(-1, true), nucleus_end);
  return order.gather(-1, position).squeeze(-1);
}

namespace {

bool is_stop(const std::vector<int64_t>& stop_ids, int64_t token) {
  return std::find(stop_ids.begin(), stop_ids.end(), token) != stop_ids.end();
}

// On the host, one row at a time: the CPU decoder's arithmetic after the prompt where it
// applies, each step's tokens decided from logits on the host.
std::vector<std::vector<int64_t>> decode_batch_on_host(
    Transformer& model, const std::vector<GenerationRequest>& requests,
    const SamplingOptions& options, const std::vector<int64_t>& stop_ids, int64_t pad_id) {
  LeftPaddedPrompts start = left_padded(requests, options.seed, options.max_new_tokens, pad_id);
  KvCache cache = model.new_cache(start.ids.size(0), start.longest + options.max_new_tokens);
  const int64_t rows = start.ids.size(0);
  std::vector<std::vector<int64_t>> outputs(rows);
  std::optional<CpuDecoder> decoder;
  if (CpuDecoder::supports(model)) decoder.emplace(model, cache.capacity);
  std::vector<bool> finished(rows, false);
  std::vector<int64_t> chosen;
  for (int64_t step = 0; step < options.max_new_tokens; ++step) {
    const int64_t filled = step == 0 ? start.longest : cache.length + 1;
    torch::Tensor logits;
    if (step > 0 && decoder) {
      logits = decoder->step(chosen, start.mask.narrow(1, 0, filled), cache);
    } else {
      const torch::Tensor input =
          step == 0 ? start.ids : torch::tensor(chosen, torch::kLong).unsqueeze(1);
      const torch::Tensor hidden = model.hidden(input, start.mask.narrow(1, 0, filled), &cache);
      logits = model.logits(hidden.select(1, hidden.size(1) - 1));
    }
    const torch::Tensor last = logits.to(torch::kCPU, torch::kFloat).contiguous();
    chosen.assign(rows, pad_id);
    bool all_done = true;
    for (int64_t b = 0; b < rows; ++b) {
      if (finished[b]) continue;
      const float* row = last.data_ptr<float>() + b * last.size(1);
      // Draw `step` of the row's stream: greedy draws none, sampling one a step.
      const int64_t token =
          options.greedy ? std::max_element(row, row + last.size(1)) - row
                         : sample_top_p(row, last.size(1), options.temperature, options.top_p,
                                        RngStream::uniform_at(start.streams[b], step));
      outputs[b].push_back(token);
      chosen[b] = token;
      finished[b] = is_stop(stop_ids, token);
      all_done = all_done && finished[b];
    }
    if (all_done) break;
    // Through an accessor: indexing the tensor row by row would cost three operators a row.
    auto mask_rows = start.mask.accessor<int64_t, 2>();
    for (int64_t b = 0; b < rows; ++b)
      mask_rows[b][filled] = outputs[b].size() == size_t(step + 1) ? 1 : 0;
  }
  return outputs;
}

}  // namespace

std::vector<std::vector<int64_t>> generate(Transformer& model,
                                           const std::vector<GenerationRequest>& requests,
                                           const SamplingOptions& options,
                                           const std::vector<int64_t>& stop_ids, int64_t pad_id) {
  torch::NoGradGuard no_grad;
  const int64_t rows = static_cast<int64_t>(requests.size());
  if (rows == 0 || options.max_new_tokens <= 0) return std::vector<std::vector<int64_t>>(rows);
  if (!options.greedy && (options.temperature <= 0 || options.top_p <= 0 || options.top_p > 1)) {
    throw InputError(cat("sampling needs temperature > 0 and top_p in (0, 1], got ",
                         options.temperature, " and ", options.top_p));
  }
  if (options.finished_check_every < 1)
    throw InputError(cat("finished_check_every ", options.finished_check_every, ": expected >= 1"));
  if (options.slots < 0)
    throw InputError(cat("slots ", options.slots, ": expected >= 0 (0: every request at once)"));
  if (model.device().is_cuda() || options.decode_on_device)
    return decode_on_device(model, requests, options, stop_ids, pad_id);
  // The host loop has no refill: it decodes `slots` requests at a time, one batch after another.
  const size_t per_batch = options.slots > 0 ? static_cast<size_t>(options.slots) : requests.size();
  if (per_batch >= requests.size())
    return decode_batch_on_host(model, requests, options, stop_ids, pad_id);
  std::vector<std::vector<int64_t>> outputs;
  for (size_t first = 0; first < requests.size(); first += per_batch) {
    const std::vector<GenerationRequest> batch(
        requests.begin() + first, requests.begin() + std::min(requests.size(), first + per_batch));
    for (auto& output : decode_batch_on_host(model, batch, options, stop_ids, pad_id))
      outputs.push_back(std::move(output));
  }
  return outputs;
}

}  // namespace scir
