#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/energy.hpp"
#include "runtime/device.hpp"
#include "runtime/time_breakdown.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/models/checkpoint.hpp"
#include "tessera/models/model_shapes.hpp"
#include "tessera/sim/platform.hpp"

namespace tessera::bench {

// A model run on the simulated accelerator for `tessera bench decode|prefill`.
struct ModelBenchOptions {
  int tokens = 4;   // decode steps, or prompt tokens of the prefill block
  int context = 0;  // positions already in the KV cache
  bool prefill = false;
  // Called after each step of a phase ("context fill", "decode", "prefill") with
  // (phase, step, steps), for progress reports.
  runtime::PhaseProgress progress;
};

struct ModelBenchResult {
  models::ModelShape shape;
  int tokens = 0;
  double simulated_seconds = 0;  // the accelerator's, over the measured steps
  // Host glue and driver time of the measured steps (the config's host model): the
  // runtime waits for each result, so they add to the accelerator's time.
  double host_seconds = 0;
  runtime::TimeBreakdown breakdown;  // per token
  double wall_seconds = 0;           // of the measured steps
  std::uint64_t bytes_needed = 0;    // weights once per pass + the K/V cache read
  std::uint64_t useful_macs = 0;
  // The device's counters over the measured steps (sim::to_json's object).
  nlohmann::ordered_json counters;
  std::vector<int> generated;  // bench_checkpoint: the greedy tokens of the measured steps
  double seconds() const { return simulated_seconds + host_seconds; }
  // False at the func fidelity, which keeps no simulated time.
  bool timed() const { return counters.value("fidelity", "") != "func"; }
  double tokens_per_s() const;
  double bw_utilization(const hls::HardwareConfig& config) const;
  // What the memory delivers at best (sim::achievable_memory_gbps, in the counters),
  // and the bytes needed against it.
  double achievable_gbps() const { return counters.value("memory_achievable_gbps", 0.0); }
  double achievable_bw_utilization() const;
  double mac_utilization(const hls::HardwareConfig& config) const;
  // From the counters and the config's energies; nothing without them or untimed.
  std::optional<EnergyEstimate> energy(const hls::HardwareConfig& config) const {
    if (!timed()) return std::nullopt;
    return estimate_energy(config, counters, seconds());
  }
};

// Timing only (the platform must be built with compute = false): the kernel calls
// of runtime::forward_kernels() on weights and caches that hold no data, driven on
// the platform directly with the schedule the runtime's device path submits (one
// submission per op, batched projections together).
ModelBenchResult bench_shape(sim::Platform& platform, const models::ModelShape& shape,
                             const ModelBenchOptions& options);

// A real model on the accelerator `device` ("accel:PRESET:FIDELITY") through the
// runtime and the OpenCL ICD, as `tessera run` runs it (decode only): `context`
// greedy steps fill the cache, then `tokens` steps are measured. Weights reach the
// device when it opens, before the measurement.
ModelBenchResult bench_checkpoint(const std::string& device, const models::Checkpoint& checkpoint,
                                  const ModelBenchOptions& options);

}  // namespace tessera::bench
