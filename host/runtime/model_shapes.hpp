#pragma once

#include <string>
#include <vector>

#include "tessera/models/checkpoint.hpp"

namespace tessera::runtime {

// The layer shapes of a known model, enough to time it on the platform without its
// weights (docs/platform.md lists the sources).
struct ModelShape {
  std::string name;
  models::ModelConfig config;
  int ffn_matrices = 3;  // 3: SwiGLU (w1, w3, w2); 2: a GELU MLP (fc, proj) as in GPT-2
};

std::vector<std::string> model_shape_names();
// Throws std::invalid_argument listing the known names.
ModelShape model_shape(const std::string& name);
ModelShape model_shape(const std::string& name, const models::ModelConfig& config);

}  // namespace tessera::runtime
