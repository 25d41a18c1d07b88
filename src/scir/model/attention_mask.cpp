#include "scir/model/attention_mask.h"

#include <limits>

namespace scir {

namespace {

// query: [T, 1] cache indices of the queries; the keys are [0, K).
torch::Tensor bias_for_queries(const torch::Tensor& attention_mask, const torch::Tensor& query,
                               int64_t window, torch::ScalarType dtype) {
  const int64_t total = attention_mask.size(1);
  const auto index_options =
      torch::TensorOptions().dtype(torch::kLong).device(attention_mask.device());
  const torch::Tensor key = torch::arange(0, total, index_options).unsqueeze(0);  // [1, K]
  torch::Tensor allowed = key <= query;
  if (window > 0) allowed = allowed & (query - key < window);
  const torch::Tensor real_key = attention_mask.to(torch::kBool).unsqueeze(1);  // [B, 1, K]
  const torch::Tensor diagonal = (key == query).unsqueeze(0);                   // [1, T, K]
  const torch::Tensor visible = (allowed.unsqueeze(0) & real_key) | diagonal;   // [B, T, K]
  const auto options = torch::TensorOptions().dtype(dtype).device(attention_mask.device());
  torch::Tensor bias = torch::zeros({attention_mask.size(0), query.size(0), total}, options);
  bias.masked_fill_(visible.logical_not(), -std::numeric_limits<float>::infinity());
  return bias.unsqueeze(1);
}

}  // namespace

torch::Tensor attention_bias(const torch::Tensor& attention_mask, int64_t past, int64_t window,
                             torch::ScalarType dtype) {
  const auto index_options =
      torch::TensorOptions().dtype(torch::kLong).device(attention_mask.device());
  const torch::Tensor query =
      torch::arange(past, attention_mask.size(1), index_options).unsqueeze(1);  // [T, 1]
  return bias_for_queries(attention_mask, query, window, dtype);
}

torch::Tensor attention_bias_at(const torch::Tensor& attention_mask, const torch::Tensor& query,
                                int64_t window, torch::ScalarType dtype) {
  return bias_for_queries(attention_mask, query.view({1, 1}), window, dtype);
}

torch::Tensor positions_from_mask(const torch::Tensor& attention_mask) {
  return (attention_mask.to(torch::kLong).cumsum(1) - 1).clamp_min(0);
}

}  // namespace scir
