#include "scir/train/loss_scaler.h"

namespace scir {

LossScaler::LossScaler(torch::ScalarType parameter_dtype, const LossScaleSettings& settings)
    : enabled_(parameter_dtype == torch::kHalf),
      settings_(settings),
      scale_(enabled_ ? settings.initial : 1.0) {}

void LossScaler::update(bool finite) {
  if (!enabled_) return;
  if (!finite) {
    scale_ *= settings_.backoff_factor;
    finite_in_a_row_ = 0;
    return;
  }
  if (++finite_in_a_row_ == settings_.growth_interval) {
    scale_ *= settings_.growth_factor;
    finite_in_a_row_ = 0;
  }
}

void LossScaler::save(torch::serialize::OutputArchive& archive) const {
  if (!enabled_) return;
  archive.write("loss_scale", torch::tensor(scale_, torch::kDouble));
  archive.write("loss_scale_finite_in_a_row", torch::tensor(finite_in_a_row_, torch::kLong));
}

void LossScaler::load(torch::serialize::InputArchive& archive) {
  if (!enabled_) return;
  torch::Tensor scale, finite;
  archive.read("loss_scale", scale);
  archive.read("loss_scale_finite_in_a_row", finite);
  scale_ = scale.item<double>();
  finite_in_a_row_ = finite.item<int64_t>();
}

}  // namespace scir
