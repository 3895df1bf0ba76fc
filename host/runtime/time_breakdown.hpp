#pragma once

#include <nlohmann/json.hpp>

#include "tessera/hls/hardware_config.hpp"
#include "tessera/models/checkpoint.hpp"

namespace tessera::runtime {

// fp32 operations the host does per decoded token between device commands
// (docs/runtime.md "Where a token's time goes"): norms, quantizing matmul inputs and
// the K/V/query records, dequantizing outputs, RoPE, the MLP's activation, residual
// adds and greedy sampling. An operation count (exp counted as 6), not a measurement.
double host_glue_flops_per_token(const models::ModelConfig& config, int ffn_matrices = 3);

// Where a decode step's time goes, in seconds per token. The device parts split the
// accelerator's simulated time: the busiest unit's compute time first, then the host
// link's busy time, the rest waiting on memory. Host glue and driver time come on
// top (the runtime waits for each result before the next step's host work).
struct TimeBreakdown {
  double device_compute = 0;
  double memory_stall = 0;
  double host_glue = 0;
  double host_link = 0;
  double driver = 0;
  double total() const { return device_compute + memory_stall + host_glue + host_link + driver; }
  double host() const { return host_glue + driver; }
  nlohmann::ordered_json to_json() const;
};

// `counters`: the accelerator's counters over `tokens` decode steps (sim::to_json's
// object, or a counters_difference of two).
TimeBreakdown decode_time_breakdown(const hls::HardwareConfig& hardware,
                                    const nlohmann::ordered_json& counters, double tokens,
                                    double glue_flops_per_token);

}  // namespace tessera::runtime
