#include "tessera/models/quantized_model.hpp"

#include <cmath>

#include "tessera/numerics/int8.hpp"

namespace tessera::models {

namespace nx = tessera::numerics;

float quantize_row(const float* x, int n, std::int8_t* out) {
  float max_abs = 0.0f;
  for (int i = 0; i < n; ++i) max_abs = std::fmax(max_abs, std::fabs(x[i]));
  const float scale = nx::symmetric_scale(max_abs);
  for (int i = 0; i < n; ++i) out[i] = nx::quantize(x[i], scale);
  return scale;
}

QuantizedMatrix quantize_matrix(const ConstMatrixView& weights) {
  QuantizedMatrix q;
  q.rows = static_cast<int>(weights.rows());
  q.cols = static_cast<int>(weights.cols());
  q.values.resize(static_cast<std::size_t>(weights.size()));
  q.scales.resize(static_cast<std::size_t>(q.rows));
  for (int r = 0; r < q.rows; ++r) {
    const std::size_t offset = static_cast<std::size_t>(r) * static_cast<std::size_t>(q.cols);
    q.scales[static_cast<std::size_t>(r)] =
        quantize_row(weights.row(r).data(), q.cols, q.values.data() + offset);
  }
  return q;
}

QuantizedModel quantize_model(const Checkpoint& checkpoint) {
  const ModelWeights& w = checkpoint.weights();
  QuantizedModel q;
  q.layers.reserve(w.layers.size());
  for (const LayerWeights& l : w.layers) {
    q.layers.push_back({quantize_matrix(l.wq), quantize_matrix(l.wk), quantize_matrix(l.wv),
                        quantize_matrix(l.wo), quantize_matrix(l.w1), quantize_matrix(l.w2),
                        quantize_matrix(l.w3)});
  }
  q.classifier = quantize_matrix(w.classifier);
  return q;
}

}  // namespace tessera::models
