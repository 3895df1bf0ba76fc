#pragma once

#include <nlohmann/json.hpp>

#include "tessera/models/checkpoint.hpp"

namespace tessera::models {

// A model's hyperparameters as the command line's JSON reports them (`inspect`,
// `synth-model`, a sweep's checkpoint workload): one object, one field per value.
nlohmann::ordered_json model_config_json(const ModelConfig& config);

}  // namespace tessera::models
