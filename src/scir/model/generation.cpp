#include "scir/model/generation.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>

#include "scir/core/errors.h"
#include "scir/core/rng.h"
#include "scir/model/cpu_decoder.h"
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

std::vector<std::vector<int64_t>> generate(Transformer& model,
                                           const std::vector<GenerationRequest>& requests,
                                           const SamplingOptions& options,
                                           const std::vector<int64_t>& stop_ids, int64_t pad_id) {
  torch::NoGradGuard no_grad;
  const int64_t rows = static_cast<int64_t>(requests.size());
  std::vector<std::vector<int64_t>> outputs(rows);
  if (rows == 0 || options.max_new_tokens <= 0) return outputs;
  if (!options.greedy && (options.temperature <= 0 || options.top_p <= 0 || options.top_p > 1)) {
    throw InputError(cat("sampling needs temperature > 0 and top_p in (0, 1], got ",
                         options.temperature, " and ", options.top_p));
  }
  int64_t longest = 0;
  for (const auto& request : requests) longest = std::max<int64_t>(longest, request.prompt.size());

  // Left padding: every prompt ends at the same cache index, so one step serves all rows.
  torch::Tensor ids = torch::full({rows, longest}, pad_id, torch::kLong);
  torch::Tensor mask = torch::zeros({rows, longest + options.max_new_tokens}, torch::kLong);
  std::vector<RngStream> streams;
  auto id_rows = ids.accessor<int64_t, 2>();
  auto mask_start = mask.accessor<int64_t, 2>();
  for (int64_t b = 0; b < rows; ++b) {
    const auto& prompt = requests[b].prompt;
    const int64_t offset = longest - static_cast<int64_t>(prompt.size());
    for (size_t k = 0; k < prompt.size(); ++k) {
      id_rows[b][offset + k] = prompt[k];
      mask_start[b][offset + k] = 1;
    }
    streams.push_back(
        RngStream::derive(options.seed, {requests[b].prompt_id, requests[b].sample_index}));
  }
  KvCache cache = model.new_cache(rows, longest + options.max_new_tokens);
  // The prompts go through the model's forward; each later step, one token a row, through the
  // CPU decoder where it applies (the same arithmetic without operator dispatch).
  std::optional<CpuDecoder> decoder;
  if (CpuDecoder::supports(model)) decoder.emplace(model, cache.capacity);
  std::vector<bool> finished(rows, false);
  std::vector<int64_t> chosen;
  for (int64_t step = 0; step < options.max_new_tokens; ++step) {
    const int64_t filled = step == 0 ? longest : cache.length + 1;
    torch::Tensor logits;
    if (step > 0 && decoder) {
      logits = decoder->step(chosen, mask.narrow(1, 0, filled), cache);
    } else {
      const torch::Tensor input =
          step == 0 ? ids : torch::tensor(chosen, torch::kLong).unsqueeze(1);
      const torch::Tensor hidden = model.hidden(input, mask.narrow(1, 0, filled), &cache);
      logits = model.logits(hidden.select(1, hidden.size(1) - 1));
    }
    // Greedy draws no random number, sampling exactly one a step: streams stay aligned.
    std::vector<double> u(rows, 0.0);
    for (int64_t b = 0; b < rows && !options.greedy; ++b)
      if (!finished[b]) u[b] = streams[b].next_uniform();
    std::vector<int64_t> tokens(rows, pad_id);
    if (logits.is_cuda()) {
      // On a GPU the whole batch is decided there; only the chosen ids come to the host.
      const torch::Tensor picked =
          (options.greedy ? logits.argmax(-1)
                          : sample_top_p_rows(logits, options.temperature, options.top_p,
                                              from_doubles(u).to(logits.device())))
              .to(torch::kCPU, torch::kLong)
              .contiguous();
      std::copy(picked.data_ptr<int64_t>(), picked.data_ptr<int64_t>() + rows, tokens.begin());
    } else {
      const torch::Tensor last = logits.to(torch::kFloat).contiguous();
      for (int64_t b = 0; b < rows; ++b) {
        if (finished[b]) continue;
        const float* row = last.data_ptr<float>() + b * last.size(1);
        tokens[b] = options.greedy
                        ? std::max_element(row, row + last.size(1)) - row
                        : sample_top_p(row, last.size(1), options.temperature, options.top_p, u[b]);
      }
    }
    chosen.assign(rows, pad_id);
    bool all_done = true;
    for (int64_t b = 0; b < rows; ++b) {
      if (finished[b]) continue;
      const int64_t token = tokens[b];
      outputs[b].push_back(token);
      chosen[b] = token;
      finished[b] = std::find(stop_ids.begin(), stop_ids.end(), token) != stop_ids.end();
      all_done = all_done && finished[b];
    }
    if (all_done) break;
    // Through an accessor: indexing the tensor row by row would cost three operators a row.
    auto mask_rows = mask.accessor<int64_t, 2>();
    for (int64_t b = 0; b < rows; ++b)
      mask_rows[b][filled] = outputs[b].size() == size_t(step + 1) ? 1 : 0;
  }
  return outputs;
}

}  // namespace scir
