#pragma once

#include <string>
#include <vector>

#include "tessera/models/checkpoint.hpp"

namespace tessera::models {

// The hyperparameters of a known model, from its published configuration: enough to
// time it on the platform without weights, or to synthesize a checkpoint of its size
// (docs/models.md lists the sources).
struct ModelShape {
  std::string name;
  std::string description;
  ModelConfig config;
  int ffn_matrices = 3;  // 3: SwiGLU (w1, w3, w2); 2: a GELU MLP (fc, proj) as in GPT-2
};

const std::vector<ModelShape>& known_model_shapes();
std::vector<std::string> model_shape_names();
// Throws std::invalid_argument listing the known names.
ModelShape model_shape(const std::string& name);
// A shape for a configuration read from a file (SwiGLU, as every llama2.c model).
ModelShape model_shape(const std::string& name, const ModelConfig& config);

}  // namespace tessera::models
