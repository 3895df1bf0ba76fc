#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tessera/hls/hardware_config.hpp"

namespace tessera::sim {

// Access patterns of the memory benchmark (`tessera bench memory`, docs/platform.md
// "Device memory"). Each traffic generator stands where a unit's DMA port is.
enum class MemoryPattern {
  kSequential,   // each port streams bursts through the channels of its own switch
  kInterleaved,  // each port streams bursts through one contiguous region: all channels
  kStrided,      // each port reads one small request every `stride` bytes
  kRandom,       // each port reads small requests at random addresses
};

struct MemoryPatternInfo {
  MemoryPattern pattern;
  const char* name;
  const char* description;
};
const std::vector<MemoryPatternInfo>& memory_patterns();
std::optional<MemoryPattern> memory_pattern_named(const std::string& name);
const char* name_of(MemoryPattern pattern);

struct MemoryBenchOptions {
  MemoryPattern pattern = MemoryPattern::kSequential;
  std::uint64_t bytes = 64ull << 20;  // in all, over all ports
  int ports = 0;                      // 0: every unit's port
  bool write = false;
  std::uint64_t request_bytes = 0;    // 0: a DMA burst, or 64 bytes for strided/random
  std::uint64_t stride_bytes = 8192;  // kStrided
  std::uint64_t seed = 1;             // kRandom
};

struct MemoryBenchResult {
  double seconds = 0;  // simulated, from the first request to the last completion
  double achieved_gbps = 0;
  double peak_gbps = 0;
  double idle_latency_ns = 0;  // one request of this size to an idle memory
  double mean_latency_ns = 0;  // request issue to completion, under this load
  std::uint64_t requests = 0;
  std::uint64_t request_bytes = 0;
  int ports = 0;
  std::uint64_t row_hits = 0, row_misses = 0, turnarounds = 0, lateral_bytes = 0;
};

// Drives the device memory model with traffic generators of kDmaBurstsInFlight
// outstanding requests each. Throws std::invalid_argument on impossible options.
MemoryBenchResult measure_memory(const hls::HardwareConfig& config,
                                 const MemoryBenchOptions& options);

// The sequential read bandwidth of every unit port together: what the memory of
// this configuration can deliver at best (GB/s).
double achievable_memory_gbps(const hls::HardwareConfig& config);

}  // namespace tessera::sim
