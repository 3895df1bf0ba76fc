#pragma once

#include <Eigen/Core>
#include <cstdint>
#include <functional>
#include <vector>

#include "tessera/models/checkpoint.hpp"

namespace tessera::models {

// A weight matrix as the int8 path uses it: W R_colsᵀ (R = hadamard_rotate, matching
// the rotated inputs), quantized per the int8 contract: symmetric int8 per output
// channel (row), scale = max|row| / 127. values is row-major [rows][cols].
struct QuantizedMatrix {
  int rows = 0;
  int cols = 0;
  std::vector<std::int8_t> values;
  std::vector<float> scales;  // one per row
};

QuantizedMatrix quantize_matrix(const ConstMatrixView& weights);

struct QuantizedLayer {
  QuantizedMatrix wq, wk, wv, wo, w1, w2, w3;
};

// Every matmul weight of a model in int8. Norm weights and the embedding lookup stay
// fp32 (they are host ops); the classifier is quantized like any other matmul.
struct QuantizedModel {
  std::vector<QuantizedLayer> layers;
  QuantizedMatrix classifier;
  // Per layer [kv_dim]: subtracted from every key (after RoPE) before it is quantized
  // into the cache. A vector common to all keys adds the same q·offset to every
  // logit of a query, which the softmax cancels; removing the keys' common part
  // leaves the int8 scale for what tells positions apart.
  std::vector<Eigen::VectorXf> key_offsets;
};

// Quantizes the weights and calibrates the key offsets (calibrate_key_offsets).
// `progress(done, total)` at the start (0) and after each layer, the classifier and
// the key calibration.
QuantizedModel quantize_model(const Checkpoint& checkpoint,
                              const std::function<void(int done, int total)>& progress = {});

// The mean key (after RoPE) of each layer over the first `positions` positions of
// the fp32 reference's greedy continuation of BOS: deterministic, no data needed.
std::vector<Eigen::VectorXf> calibrate_key_offsets(const Checkpoint& checkpoint, int positions);
constexpr int kKeyCalibrationPositions = 64;

// Quantizes x[0, n) per the contract's per-row activation rule into out[0, n) and
// returns the scale (max|x| / 127).
float quantize_row(const float* x, int n, std::int8_t* out);

// A matmul input as the int8 path quantizes it: rotates x[0, n) in place by R_n, then
// quantize_row.
float quantize_matmul_input(float* x, int n, std::int8_t* out);

}  // namespace tessera::models
