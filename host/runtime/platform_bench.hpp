#pragma once

#include <functional>
#include <string>

#include "runtime/model_shapes.hpp"
#include "tessera/models/checkpoint.hpp"
#include "tessera/sim/platform.hpp"

namespace tessera::runtime {

// A model run on the platform for `tessera bench decode|prefill`.
struct ModelBenchOptions {
  int tokens = 4;   // decode steps, or prompt tokens of the prefill block
  int context = 0;  // positions already in the KV cache
  bool prefill = false;
  // Called after each decode step (step, steps) for progress reports.
  std::function<void(int, int)> progress;
};

struct ModelBenchResult {
  ModelShape shape;
  int tokens = 0;
  double simulated_seconds = 0;    // of the measured steps
  double wall_seconds = 0;         // of the measured steps
  std::uint64_t bytes_needed = 0;  // weights once per pass + the K/V cache read
  std::uint64_t useful_macs = 0;
  sim::PlatformCounters counters;
  std::vector<int> generated;  // bench_checkpoint: the greedy tokens of the measured steps
  double tokens_per_s() const;
  double bw_utilization(const hls::HardwareConfig& config) const;
  double mac_utilization(const hls::HardwareConfig& config) const;
};

// Timing only (the platform must be built with compute = false): the kernel calls
// of forward_kernels() on weights and caches that hold no data.
ModelBenchResult bench_shape(sim::Platform& platform, const ModelShape& shape,
                             const ModelBenchOptions& options);

// A real model through Int8Model on the platform (decode only): `context` greedy
// steps fill the cache, then `tokens` steps are measured.
ModelBenchResult bench_checkpoint(sim::Platform& platform, const models::Checkpoint& checkpoint,
                                  const ModelBenchOptions& options);

}  // namespace tessera::runtime
