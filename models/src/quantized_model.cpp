#include "tessera/models/quantized_model.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "tessera/models/hadamard_rotation.hpp"
#include "tessera/models/reference_model.hpp"
#include "tessera/models/sampler.hpp"  // argmax
#include "tessera/models/tokenizer.hpp"
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

float quantize_matmul_input(float* x, int n, std::int8_t* out) {
  hadamard_rotate(x, n);
  return quantize_row(x, n, out);
}

QuantizedMatrix quantize_matrix(const ConstMatrixView& weights) {
  QuantizedMatrix q;
  q.rows = static_cast<int>(weights.rows());
  q.cols = static_cast<int>(weights.cols());
  q.values.resize(static_cast<std::size_t>(weights.size()));
  q.scales.resize(static_cast<std::size_t>(q.rows));
  // Row r of W Rᵀ is R applied to row r of W.
  std::vector<float> row(static_cast<std::size_t>(q.cols));
  for (int r = 0; r < q.rows; ++r) {
    const std::size_t offset = static_cast<std::size_t>(r) * static_cast<std::size_t>(q.cols);
    std::copy_n(weights.row(r).data(), q.cols, row.begin());
    q.scales[static_cast<std::size_t>(r)] =
        quantize_matmul_input(row.data(), q.cols, q.values.data() + offset);
  }
  return q;
}

std::vector<Eigen::VectorXf> calibrate_key_offsets(const Checkpoint& checkpoint, int positions) {
  const ModelConfig& c = checkpoint.config();
  std::vector<Eigen::VectorXf> sums(static_cast<std::size_t>(c.n_layers),
                                    Eigen::VectorXf::Zero(c.kv_dim()));
  positions = std::min(positions, c.seq_len);
  ReferenceModel reference(checkpoint, positions);
  ForwardTrace trace;
  int token = Tokenizer::kBos;
  for (int pos = 0; pos < positions; ++pos) {
    token = argmax(reference.forward(token, pos, &trace));
    for (std::size_t l = 0; l < sums.size(); ++l) sums[l] += trace.layers[l].k_rope;
  }
  for (Eigen::VectorXf& sum : sums) sum /= static_cast<float>(positions);
  return sums;
}

QuantizedModel quantize_model(const Checkpoint& checkpoint,
                              const std::function<void(int done, int total)>& progress) {
  const ModelWeights& w = checkpoint.weights();
  const int total = static_cast<int>(w.layers.size()) + 2;
  int done = 0;
  const auto step = [&] {
    if (progress) progress(++done, total);
  };
  if (progress) progress(0, total);
  QuantizedModel q;
  // Calibration reads every fp32 weight, so it runs first; then each layer's fp32
  // pages leave memory once it is quantized, so the fp32 file and the int8 weights are
  // never resident together (Checkpoint::release_resident_weights).
  q.key_offsets = calibrate_key_offsets(checkpoint, kKeyCalibrationPositions);
  step();
  checkpoint.release_resident_weights();
  q.layers.reserve(w.layers.size());
  for (const LayerWeights& l : w.layers) {
    q.layers.push_back({quantize_matrix(l.wq), quantize_matrix(l.wk), quantize_matrix(l.wv),
                        quantize_matrix(l.wo), quantize_matrix(l.w1), quantize_matrix(l.w2),
                        quantize_matrix(l.w3)});
    checkpoint.release_resident_weights();
    step();
  }
  q.classifier = quantize_matrix(w.classifier);
  checkpoint.release_resident_weights();
  step();
  return q;
}

}  // namespace tessera::models
