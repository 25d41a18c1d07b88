#include "scir/model/swiglu.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>

#include "scir/core/errors.h"
#include "scir/core/float_loops.h"
#include "scir/model/vector_levels.h"

namespace scir {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The gradient of swiglu_row (model/float_loops), in the same pieces. With s = sigmoid(gate): d_up
// = d_out gate s, d_gate = d_out up s (1 + gate (1 - s)).
SCIR_ALWAYS_INLINE void backward_row(const float* gate, const float* up, const float* d_out,
                                     float* d_gate, float* d_up, int64_t width) {
  for (int64_t begin = 0; begin < width; begin += kSwigluPiece) {
    const int64_t count = std::min(kSwigluPiece, width - begin);
    const float* g = gate + begin;
    const float* u = up + begin;
    const float* d = d_out + begin;
    float* dg = d_gate + begin;
    float* du = d_up + begin;
    for (int64_t i = 0; i < count; ++i) dg[i] = -g[i];
    exp_in_place(dg, count);
    for (int64_t i = 0; i < count; ++i) {
      const float s = 1.0f / (1.0f + dg[i]);
      du[i] = d[i] * g[i] * s;
      dg[i] = d[i] * u[i] * s * (1.0f + g[i] * (1.0f - s));
    }
  }
}

// The passes over rows [first, last) of a [rows, 2 width] input, compiled at each vector level
// (the row bodies inlined into these).
#define SCIR_SWIGLU_AT(level, lanes, attributes)                                                 \
  attributes void level##_forward(const float* gate_up, float* out, int64_t first, int64_t last, \
                                  int64_t width) {                                               \
    for (int64_t r = first; r < last; ++r) {                                                     \
      const float* row = gate_up + 2 * r * width;                                                \
      swiglu_row(row, row + width, out + r * width, width);                                      \
    }                                                                                            \
  }                                                                                              \
  attributes void level##_backward(const float* gate_up, const float* d_out, float* d_gate_up,   \
                                   int64_t first, int64_t last, int64_t width) {                 \
    for (int64_t r = first; r < last; ++r) {                                                     \
      const float* row = gate_up + 2 * r * width;                                                \
      float* d_row = d_gate_up + 2 * r * width;                                                  \
      backward_row(row, row + width, d_out + r * width, d_row, d_row + width, width);            \
    }                                                                                            \
  }
SCIR_DEFINE_AT_VECTOR_LEVELS(SCIR_SWIGLU_AT)
#undef SCIR_SWIGLU_AT

// Runs pass(first, last) over the rows in pieces worth a thread.
template <typename Pass>
void over_rows(int64_t rows, int64_t width, const Pass& pass) {
  const int64_t grain = std::max<int64_t>(1, kValuesPerThreadChunk / width);
  at::parallel_for(0, rows, grain, pass);
}

// [..., 2 I] -> [..., I].
std::vector<int64_t> halved_shape(const torch::Tensor& gate_up) {
  std::vector<int64_t> shape = gate_up.sizes().vec();
  shape.back() /= 2;
  return shape;
}

struct SwigluFunction : public torch::autograd::Function<SwigluFunction> {
  static torch::Tensor forward(AutogradContext* context, const torch::Tensor& gate_up_in) {
    const torch::Tensor gate_up = gate_up_in.contiguous();
    torch::Tensor out = torch::empty(halved_shape(gate_up), gate_up.options());
    const int64_t width = out.size(-1), rows = out.numel() / width;
    const auto pass =
        SCIR_AT_VECTOR_LEVEL(vector_level_in_use(), baseline_forward, avx2_forward, avx512_forward);
    const float* in = gate_up.data_ptr<float>();
    float* o = out.data_ptr<float>();
    over_rows(rows, width, [&](int64_t first, int64_t last) { pass(in, o, first, last, width); });
    context->save_for_backward({gate_up});
    return out;
  }

  static variable_list backward(AutogradContext* context, variable_list gradients) {
    const torch::Tensor gate_up = context->get_saved_variables()[0];
    const torch::Tensor d_out = gradients[0].contiguous();
    torch::Tensor d_gate_up = torch::empty_like(gate_up);
    const int64_t width = d_out.size(-1), rows = d_out.numel() / width;
    const auto pass = SCIR_AT_VECTOR_LEVEL(vector_level_in_use(), baseline_backward, avx2_backward,
                                           avx512_backward);
    const float *in = gate_up.data_ptr<float>(), *d = d_out.data_ptr<float>();
    float* d_in = d_gate_up.data_ptr<float>();
    over_rows(rows, width,
              [&](int64_t first, int64_t last) { pass(in, d, d_in, first, last, width); });
    return {d_gate_up};
  }
};

}  // namespace

torch::Tensor swiglu_reference(const torch::Tensor& gate_up) {
  // Debian's LibTorch (1.13) has no float16 SiLU on the CPU: there it runs in float32 and the
  // result is rounded once.
  if (gate_up.device().is_cpu() && gate_up.scalar_type() == torch::kHalf)
    return swiglu_reference(gate_up.to(torch::kFloat)).to(torch::kHalf);
  const std::vector<torch::Tensor> halves = gate_up.chunk(2, -1);
  return torch::silu(halves[0]) * halves[1];
}

torch::Tensor swiglu(const torch::Tensor& gate_up) {
  if (gate_up.dim() == 0 || gate_up.size(-1) % 2 != 0)
    throw InternalError(cat("swiglu: expected an even last dimension, got ", gate_up.sizes()));
  const bool one_pass =
      gate_up.device().is_cpu() && gate_up.scalar_type() == torch::kFloat && gate_up.numel() > 0;
  return one_pass ? SwigluFunction::apply(gate_up) : swiglu_reference(gate_up);
}

}  // namespace scir
