// Dynamic loss scaling for float16 training. float16 keeps only 5 exponent bits, so the small
// gradients of a language model's loss underflow to zero unless the loss is multiplied by a
// large scale before the backward; the optimiser then divides the float32 gradients by it. A
// step whose gradients overflow (a non-finite norm) is skipped and the scale halved; after
// `growth_interval` finite steps in a row it doubles. The rule and the defaults are PyTorch's
// GradScaler's. bfloat16 and float32 need none (their exponent is float32's): scale 1.
#pragma once

#include <cstdint>

#include <torch/torch.h>

namespace scir {

struct LossScaleSettings {
  double initial = 65536.0;
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
};

class LossScaler {
 public:
  // Enabled for float16 parameters; otherwise the scale stays 1.
  LossScaler(torch::ScalarType parameter_dtype, const LossScaleSettings& settings = {});
  bool enabled() const { return enabled_; }
  double scale() const { return scale_; }
  // After a step: finite gradients count towards growth, others back the scale off.
  void update(bool finite);
  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  bool enabled_;
  LossScaleSettings settings_;
  double scale_ = 1.0;
  int64_t finite_in_a_row_ = 0;
};

}  // namespace scir
