#include "scir/model/rms_norm.h"

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <vector>

#include "scir/core/float_loops.h"
#include "scir/model/precision.h"

namespace scir {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

bool fusable(const torch::Tensor& a, const torch::Tensor& b) {
  return a.device().is_cpu() && a.scalar_type() == torch::kFloat && b.device().is_cpu() &&
         b.scalar_type() == torch::kFloat;
}

struct RmsNormFunction : public torch::autograd::Function<RmsNormFunction> {
  static torch::Tensor forward(AutogradContext* context, const torch::Tensor& input,
                               const torch::Tensor& weight, double eps) {
    const torch::Tensor x = input.contiguous();
    const int64_t width = x.size(-1), rows = x.numel() / width;
    torch::Tensor y = torch::empty_like(x);
    torch::Tensor inverse_rms = torch::empty({rows}, x.options());
    const float* xs = x.data_ptr<float>();
    const float* w = weight.data_ptr<float>();
    float* ys = y.data_ptr<float>();
    float* rs = inverse_rms.data_ptr<float>();
    const int64_t grain = std::max<int64_t>(1, kValuesPerThreadChunk / width);
    at::parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const float* in = xs + r * width;
        const float squares = dot(in, in, width);
        const float scale = 1.0f / std::sqrt(squares / static_cast<float>(width) + float(eps));
        rs[r] = scale;
        for (int64_t i = 0; i < width; ++i) ys[r * width + i] = w[i] * (in[i] * scale);
      }
    });
    context->save_for_backward({x, weight, inverse_rms});
    return y;
  }

  // y = w x r, r = (mean(x^2) + eps)^(-1/2): dx = r g - x r^3 (g . x) / width with g = w dy,
  // and dw = sum over rows of dy x r.
  static variable_list backward(AutogradContext* context, variable_list gradients) {
    const auto saved = context->get_saved_variables();
    const torch::Tensor& x = saved[0];
    const torch::Tensor& weight = saved[1];
    const torch::Tensor& inverse_rms = saved[2];
    const torch::Tensor dy = gradients[0].contiguous();
    const int64_t width = x.size(-1), rows = x.numel() / width;
    torch::Tensor dx = torch::empty_like(x);
    const float* xs = x.data_ptr<float>();
    const float* w = weight.data_ptr<float>();
    const float* rs = inverse_rms.data_ptr<float>();
    const float* dys = dy.data_ptr<float>();
    float* dxs = dx.data_ptr<float>();
    // Each chunk of rows adds its share of dw into its own row of partial sums.
    const int64_t worth = (rows * width + kValuesPerThreadChunk - 1) / kValuesPerThreadChunk;
    const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), worth));
    torch::Tensor partial_dw = torch::zeros({chunks, width}, x.options());
    float* partial = partial_dw.data_ptr<float>();
    const int64_t per_chunk = (rows + chunks - 1) / chunks;
    at::parallel_for(0, chunks, 1, [&](int64_t first, int64_t last) {
      for (int64_t chunk = first; chunk < last; ++chunk) {
        float* dw = partial + chunk * width;
        std::vector<float> g_row(width);
        float* g = g_row.data();
        for (int64_t r = chunk * per_chunk; r < std::min(rows, (chunk + 1) * per_chunk); ++r) {
          const float* in = xs + r * width;
          const float* grad = dys + r * width;
          const float scale = rs[r];
          // g . x with g = w dy, through a row of g (the scratch row of this chunk).
          for (int64_t i = 0; i < width; ++i) g[i] = w[i] * grad[i];
          const float correction =
              scale * scale * scale * dot(g, in, width) / static_cast<float>(width);
          for (int64_t i = 0; i < width; ++i) {
            dxs[r * width + i] = scale * g[i] - in[i] * correction;
            dw[i] += grad[i] * in[i] * scale;
          }
        }
      }
    });
    return {dx, partial_dw.sum(0), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor rms_norm_reference(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  // Statistics in float32 whatever the run dtype, as the reference implementation does.
  const torch::Tensor xf = x.to(compute_dtype(x.scalar_type()));
  const torch::Tensor normed = xf * torch::rsqrt(xf.pow(2).mean(-1, /*keepdim=*/true) + eps);
  return weight * normed.to(x.scalar_type());
}

torch::Tensor rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  return fusable(x, weight) ? RmsNormFunction::apply(x, weight, eps)
                            : rms_norm_reference(x, weight, eps);
}

}  // namespace scir
