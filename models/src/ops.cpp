#include "tessera/models/ops.hpp"

#include <cmath>

namespace tessera::models {

void rmsnorm(Eigen::Ref<Eigen::VectorXf> out, const Eigen::Ref<const Eigen::VectorXf>& x,
             const Eigen::Ref<const Eigen::VectorXf>& weight, float epsilon) {
  const float mean_square = x.squaredNorm() / static_cast<float>(x.size());
  const float inverse_rms = 1.0f / std::sqrt(mean_square + epsilon);
  out = weight.cwiseProduct(inverse_rms * x);
}

void apply_rope(Eigen::Ref<Eigen::VectorXf> vec, int pos, int head_size, float theta) {
  for (Eigen::Index i = 0; i + 1 < vec.size(); i += 2) {
    const auto pair_in_head = static_cast<float>(i % head_size);
    const float frequency = 1.0f / std::pow(theta, pair_in_head / static_cast<float>(head_size));
    const float angle = static_cast<float>(pos) * frequency;
    const float c = std::cos(angle);
    const float s = std::sin(angle);
    const float v0 = vec[i];
    const float v1 = vec[i + 1];
    vec[i] = v0 * c - v1 * s;
    vec[i + 1] = v0 * s + v1 * c;
  }
}

void softmax_in_place(float* values, int size) {
  float max_value = values[0];
  for (int i = 1; i < size; ++i) {
    if (values[i] > max_value) max_value = values[i];
  }
  float sum = 0.0f;
  for (int i = 0; i < size; ++i) {
    values[i] = std::exp(values[i] - max_value);
    sum += values[i];
  }
  for (int i = 0; i < size; ++i) values[i] /= sum;
}

void swiglu(Eigen::Ref<Eigen::VectorXf> hidden, const Eigen::Ref<const Eigen::VectorXf>& gate,
            const Eigen::Ref<const Eigen::VectorXf>& up) {
  hidden =
      gate.unaryExpr([](float g) { return g * (1.0f / (1.0f + std::exp(-g))); }).cwiseProduct(up);
}

}  // namespace tessera::models
