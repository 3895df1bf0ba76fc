#pragma once

#include <string>
#include <vector>

#include "runtime/device.hpp"
#include "tessera/models/checkpoint.hpp"

namespace tessera::runtime {

struct EvaluationSettings {
  std::string device = "hls";
  DeviceOptions device_options;
  int sequences = 8;  // sampled sequences
  int length = 129;   // tokens per sequence, BOS included: length - 1 predictions each
  float temperature = 1.0f;
  float top_p = 0.9f;
  PhaseProgress progress;  // ("eval", sequences done, sequences)
};

// Teacher-forced comparison of a device with the fp32 reference (docs/numerics.md,
// "Quality"). The sequences are the reference's own samples with seeds 1..sequences,
// so the set is fixed for a model and the settings.
struct EvaluationResult {
  int positions = 0;
  double top1_agreement = 0.0;  // share of positions where both argmaxes agree
  double kl_mean = 0.0;         // mean of KL(reference || device) over positions, nats
  double kl_p99 = 0.0;          // its 99th percentile
  double ppl_reference = 0.0;   // perplexity of each model on the sequences
  double ppl_device = 0.0;
  std::vector<std::vector<int>> sequences;
};

// Throws std::invalid_argument for settings the model cannot be evaluated with.
void check_settings(const models::ModelConfig& config, const EvaluationSettings& settings);

EvaluationResult evaluate(const models::Checkpoint& checkpoint, const EvaluationSettings& settings);

}  // namespace tessera::runtime
