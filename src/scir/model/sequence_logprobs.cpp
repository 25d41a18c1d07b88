#include "scir/model/sequence_logprobs.h"

#include <algorithm>

#include "scir/core/errors.h"
#include "scir/model/precision.h"

namespace scir {

ResponseLogProbs response_logprobs(Transformer& model, const std::vector<PromptResponse>& batch,
                                   int64_t pad_id) {
  const int64_t rows = static_cast<int64_t>(batch.size());
  int64_t width = 1, longest_response = 0, targets = 0;
  for (const PromptResponse& item : batch) {
    if (item.prompt.empty()) throw InternalError("response_logprobs: empty prompt (BOS missing)");
    width = std::max<int64_t>(width, item.prompt.size() + item.response.size());
    longest_response = std::max<int64_t>(longest_response, item.response.size());
    targets += item.response.size();
  }
  // Right-padded sequences; the tokens predicted at response positions are the targets.
  std::vector<int64_t> ids(rows * width, pad_id), mask(rows * width, 0);
  std::vector<int64_t> source_rows, predictor_index, target_ids, destination;
  source_rows.reserve(targets);
  ResponseLogProbs result;
  for (int64_t b = 0; b < rows; ++b) {
    const auto& item = batch[b];
    std::copy(item.prompt.begin(), item.prompt.end(), ids.begin() + b * width);
    std::copy(item.response.begin(), item.response.end(),
              ids.begin() + b * width + item.prompt.size());
    const int64_t length = item.prompt.size() + item.response.size();
    std::fill(mask.begin() + b * width, mask.begin() + b * width + length, 1);
    for (size_t k = 0; k < item.response.size(); ++k) {
      source_rows.push_back(b);
      predictor_index.push_back(b * width + item.prompt.size() + k - 1);
      target_ids.push_back(item.response[k]);
      destination.push_back(b * longest_response + k);
    }
    result.lengths.push_back(item.response.size());
  }
  const torch::Device device = model.device();
  const auto as_tensor = [&](std::vector<int64_t>& values, std::vector<int64_t> shape) {
    // A copy, not a view of `values`: autograd keeps the indices for the backward pass.
    return torch::from_blob(values.data(), shape, torch::kLong).clone().to(device);
  };
  const torch::Tensor input = as_tensor(ids, {rows, width});
  const torch::Tensor attention = as_tensor(mask, {rows, width});
  const torch::Tensor hidden = model.hidden(input, attention);
  const auto precision = torch::TensorOptions(device).dtype(compute_dtype(model.dtype()));
  // Only the positions that predict a response token go through the LM head.
  const torch::Tensor predictors =
      hidden.reshape({rows * width, -1}).index_select(0, as_tensor(predictor_index, {targets}));
  const torch::Tensor picked = model.target_logprobs(predictors, as_tensor(target_ids, {targets}));
  result.sum =
      torch::zeros({rows}, precision).index_add(0, as_tensor(source_rows, {targets}), picked);
  result.token_logps = torch::zeros({rows * longest_response}, precision)
                           .index_add(0, as_tensor(destination, {targets}), picked)
                           .view({rows, longest_response});
  return result;
}

std::pair<std::vector<double>, std::vector<double>> paired_response_logprobs(
    Transformer& model, const std::vector<PromptResponse>& first,
    const std::vector<PromptResponse>& second, int64_t pad_id, int64_t batch_pairs) {
  torch::NoGradGuard no_grad;
  std::vector<double> logp_first, logp_second;
  for (size_t start = 0; start < first.size(); start += batch_pairs) {
    const size_t end = std::min(first.size(), start + static_cast<size_t>(batch_pairs));
    std::vector<PromptResponse> batch(first.begin() + start, first.begin() + end);
    batch.insert(batch.end(), second.begin() + start, second.begin() + end);
    const torch::Tensor sums =
        response_logprobs(model, batch, pad_id).sum.to(torch::kCPU, torch::kDouble).contiguous();
    const double* values = sums.data_ptr<double>();
    const size_t count = end - start;
    logp_first.insert(logp_first.end(), values, values + count);
    logp_second.insert(logp_second.end(), values + count, values + 2 * count);
  }
  return {logp_first, logp_second};
}

}  // namespace scir
