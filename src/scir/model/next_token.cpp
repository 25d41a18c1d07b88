#include "scir/model/next_token.h"

#include "scir/core/errors.h"

namespace scir {

torch::Tensor next_token_logits(Transformer& model,
                                const std::vector<std::vector<int64_t>>& prompts, int64_t pad_id) {
  const int64_t rows = static_cast<int64_t>(prompts.size());
  int64_t width = 1;
  for (const auto& prompt : prompts) {
    if (prompt.empty()) throw InternalError("next_token_logits: empty prompt");
    width = std::max<int64_t>(width, prompt.size());
  }
  torch::Tensor ids = torch::full({rows, width}, pad_id, torch::kLong);
  torch::Tensor mask = torch::zeros({rows, width}, torch::kLong);
  std::vector<int64_t> last(rows);
  for (int64_t b = 0; b < rows; ++b) {
    const int64_t length = static_cast<int64_t>(prompts[b].size());
    std::memcpy(ids[b].data_ptr<int64_t>(), prompts[b].data(), length * sizeof(int64_t));
    mask[b].narrow(0, 0, length).fill_(1);
    last[b] = b * width + length - 1;
  }
  const torch::Tensor hidden = model.hidden(ids, mask);
  const torch::Tensor at_end =
      hidden.reshape({rows * width, -1})
          .index_select(0, torch::tensor(last, torch::kLong).to(hidden.device()));
  return model.logits(at_end);
}

}  // namespace scir
