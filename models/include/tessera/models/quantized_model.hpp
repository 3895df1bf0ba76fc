#pragma once

#include <cstdint>
#include <vector>

#include "tessera/models/checkpoint.hpp"

namespace tessera::models {

// A weight matrix quantized per the int8 contract: symmetric int8 per output channel
// (row), scale = max|row| / 127. values is row-major [rows][cols].
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
};

QuantizedModel quantize_model(const Checkpoint& checkpoint);

// Quantizes x[0, n) per the contract's per-row activation rule into out[0, n) and
// returns the scale (max|x| / 127).
float quantize_row(const float* x, int n, std::int8_t* out);

}  // namespace tessera::models
