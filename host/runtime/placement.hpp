#pragma once

#include <string>
#include <vector>

#include "runtime/cpu_rate.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/models/checkpoint.hpp"

namespace tessera::runtime {

// Where each transformer block (and the classifier, "head") runs.
enum class Backend { kAccelerator, kCpu };

struct Placement {
  std::vector<Backend> layers;  // n_layers blocks, then the classifier
  std::string reason;           // how `auto` decided, for the report
  bool uses(Backend b) const;
  // "0-2:accel,3-4:cpu,head:accel"
  std::string describe() const;
};

// --place: "accel", "cpu", or a list of RANGE:DEVICE items (RANGE: a layer, "A-B",
// "A-" or "head"; DEVICE: accel or cpu); layers the list leaves out stay on the
// accelerator. Throws std::invalid_argument naming the bad item.
Placement parse_placement(const std::string& spec, int n_layers);

// --place auto: blocks go to the accelerator while their int8 weights and K/V cache
// fit its memory and its estimated time per token (weights streamed at the memory's
// bandwidth, plus the host round trips of the block's submissions and its
// activations over the host link) beats the CPU fallback's (its MACs at the measured
// rate plus the per-call cost of its matmul calls: cpu_rate.hpp).
Placement auto_placement(const models::ModelConfig& model, const hls::HardwareConfig& device,
                         int max_positions, const CpuRate& cpu);

}  // namespace tessera::runtime
