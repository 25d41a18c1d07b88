#include "scir/model/activation_checkpoint.h"

#include "scir/model/transformer.h"

namespace scir {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct CheckpointedLayer : public torch::autograd::Function<CheckpointedLayer> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& input,
                               const torch::Tensor& cos, const torch::Tensor& sin,
                               const torch::Tensor& bias, DecoderLayer* layer, int64_t index) {
    ctx->save_for_backward({input, cos, sin, bias});
    // The layer is the model's and outlives the graph: its address is all the backward needs.
    ctx->saved_data["layer"] = reinterpret_cast<int64_t>(layer);
    ctx->saved_data["index"] = index;
    torch::NoGradGuard no_grad;
    return layer->forward(input, {cos, sin}, bias, nullptr, index);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const variable_list saved = ctx->get_saved_variables();
    auto* layer = reinterpret_cast<DecoderLayer*>(ctx->saved_data["layer"].toInt());
    const torch::Tensor input = saved[0].detach().requires_grad_(true);
    torch::Tensor output;
    {
      torch::AutoGradMode with_gradients(true);
      output = layer->forward(input, {saved[1], saved[2]}, saved[3], nullptr,
                              ctx->saved_data["index"].toInt());
    }
    // Accumulates the layer's parameter gradients, as the plain backward would.
    torch::autograd::backward({output}, {grad_outputs[0]});
    return {input.grad(),    torch::Tensor(), torch::Tensor(),
            torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor checkpointed_layer_forward(DecoderLayer& layer, const torch::Tensor& input,
                                         const RotaryTables& rotary, const torch::Tensor& bias,
                                         int64_t index) {
  // The output must carry a gradient edge even when the input does not (a frozen embedding):
  // the layer's own parameters still learn.
  const torch::Tensor tracked = input.requires_grad() ? input : input.detach().requires_grad_(true);
  return CheckpointedLayer::apply(tracked, rotary.cos, rotary.sin, bias, &layer, index);
}

}  // namespace scir
