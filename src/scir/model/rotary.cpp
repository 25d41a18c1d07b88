#include "scir/model/rotary.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cmath>

#include "scir/core/float_loops.h"
#include "scir/model/precision.h"

namespace scir {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// rotate_head over x [B, heads, T, head_dim] (unit stride in head_dim) with tables
// [B, T, head_dim]: the rotation forward, its transpose for the gradient.
torch::Tensor rotate_rows(const torch::Tensor& x, const torch::Tensor& cos,
                          const torch::Tensor& sin, bool transpose) {
  const int64_t batch = x.size(0), heads = x.size(1), steps = x.size(2), dim = x.size(3);
  torch::Tensor out = torch::empty({batch, heads, steps, dim}, x.options());
  const float* xs = x.data_ptr<float>();
  const float* cs = cos.data_ptr<float>();
  const float* ss = sin.data_ptr<float>();
  float* os = out.data_ptr<float>();
  const int64_t sb = x.stride(0), sh = x.stride(1), st = x.stride(2);
  const int64_t grain =
      std::max<int64_t>(1, kValuesPerThreadChunk / std::max<int64_t>(1, steps * dim));
  at::parallel_for(0, batch * heads, grain, [&](int64_t begin, int64_t end) {
    for (int64_t bh = begin; bh < end; ++bh) {
      const int64_t b = bh / heads, h = bh % heads;
      for (int64_t t = 0; t < steps; ++t) {
        const float* in = xs + b * sb + h * sh + t * st;
        const float* c = cs + (b * steps + t) * dim;
        const float* s = ss + (b * steps + t) * dim;
        float* o = os + ((b * heads + h) * steps + t) * dim;
        rotate_head(in, c, s, dim, transpose, o);
      }
    }
  });
  return out;
}

// The rotation as one pass forward and one backward for float32 on the CPU: the formula below
// is six operators (two narrows, a negation, a cat, two products and a sum) and as many
// backward nodes, each a pass over the queries or keys.
struct RotaryFunction : public torch::autograd::Function<RotaryFunction> {
  static torch::Tensor forward(AutogradContext* context, const torch::Tensor& x,
                               const torch::Tensor& cos, const torch::Tensor& sin) {
    context->save_for_backward({cos, sin});
    return rotate_rows(x.stride(3) == 1 ? x : x.contiguous(), cos, sin, /*transpose=*/false);
  }
  static variable_list backward(AutogradContext* context, variable_list gradients) {
    const auto saved = context->get_saved_variables();
    const torch::Tensor& dy = gradients[0];
    return {rotate_rows(dy.stride(3) == 1 ? dy : dy.contiguous(), saved[0], saved[1],
                        /*transpose=*/true),
            torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor rope_inverse_frequencies(int64_t head_dim, const RopeSettings& rope,
                                       const torch::Device& device) {
  const auto options = torch::TensorOptions().dtype(torch::kFloat).device(device);
  const torch::Tensor exponents = torch::arange(0, head_dim, 2, options) / head_dim;
  const torch::Tensor inverse = torch::pow(rope.theta, -exponents);
  if (rope.kind == RopeSettings::Kind::kDefault) return inverse;
  // Llama 3: wavelengths beyond the original context's / low_freq_factor are stretched by
  // `factor`, those below its / high_freq_factor kept, the ones between blended linearly in
  // original context / wavelength.
  const double context = static_cast<double>(rope.original_max_position_embeddings);
  const torch::Tensor wavelength = 2 * M_PI / inverse;
  const torch::Tensor stretched = inverse / rope.factor;
  const torch::Tensor smooth = (context / wavelength - rope.low_freq_factor) /
                               (rope.high_freq_factor - rope.low_freq_factor);
  const torch::Tensor blended = (1 - smooth) * stretched + smooth * inverse;
  const torch::Tensor long_waves = wavelength > context / rope.low_freq_factor;
  const torch::Tensor short_waves = wavelength < context / rope.high_freq_factor;
  return torch::where(long_waves, stretched, torch::where(short_waves, inverse, blended));
}

RotaryTables rotary_tables(const torch::Tensor& positions, int64_t head_dim,
                           const RopeSettings& rope) {
  const torch::Tensor inverse_frequency =
      rope_inverse_frequencies(head_dim, rope, positions.device());
  const torch::Tensor angles = positions.to(torch::kFloat).unsqueeze(-1) * inverse_frequency;
  const torch::Tensor both_halves = torch::cat({angles, angles}, -1);
  return {both_halves.cos().contiguous(), both_halves.sin().contiguous()};
}

torch::Tensor apply_rotary_reference(const torch::Tensor& x, const RotaryTables& tables) {
  const int64_t half = x.size(-1) / 2;
  const torch::Tensor xf = x.to(compute_dtype(x.scalar_type()));
  const torch::Tensor rotated =
      torch::cat({-xf.narrow(-1, half, half), xf.narrow(-1, 0, half)}, -1);
  const torch::Tensor cos = tables.cos.unsqueeze(1);
  const torch::Tensor sin = tables.sin.unsqueeze(1);
  return (xf * cos + rotated * sin).to(x.scalar_type());
}

torch::Tensor apply_rotary(const torch::Tensor& x, const RotaryTables& tables) {
  const bool fusable = x.device().is_cpu() && x.scalar_type() == torch::kFloat && x.dim() == 4 &&
                       tables.cos.sizes() == torch::IntArrayRef{x.size(0), x.size(2), x.size(3)};
  return fusable ? RotaryFunction::apply(x, tables.cos, tables.sin)
                 : apply_rotary_reference(x, tables);
}

}  // namespace scir
