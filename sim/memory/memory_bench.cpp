#include "tessera/sim/memory_bench.hpp"

#include <algorithm>
#include <deque>
#include <queue>
#include <random>
#include <stdexcept>

#include "tessera/sim/dram_model.hpp"

namespace tessera::sim {

const std::vector<MemoryPatternInfo>& memory_patterns() {
  static const std::vector<MemoryPatternInfo> patterns = {
      {MemoryPattern::kSequential, "sequential",
       "bursts through the channels of the port's own switch (all channels without one)"},
      {MemoryPattern::kInterleaved, "interleaved",
       "bursts through one contiguous region, striped over every channel (as the units read "
       "weights)"},
      {MemoryPattern::kStrided, "strided", "one small request every --stride bytes"},
      {MemoryPattern::kRandom, "random", "small requests at random aligned addresses"},
  };
  return patterns;
}

std::optional<MemoryPattern> memory_pattern_named(const std::string& name) {
  for (const MemoryPatternInfo& info : memory_patterns()) {
    if (name == info.name) return info.pattern;
  }
  return std::nullopt;
}

const char* name_of(MemoryPattern pattern) {
  for (const MemoryPatternInfo& info : memory_patterns()) {
    if (info.pattern == pattern) return info.name;
  }
  return "?";
}

namespace {

constexpr std::uint64_t kSmallRequestBytes = 64;

// Where each port's requests go.
class AddressStream {
 public:
  AddressStream(const hls::HardwareConfig& config, const DramModel& model,
                const MemoryBenchOptions& options, int ports, std::uint64_t per_port)
      : config_(config),
        model_(model),
        options_(options),
        ports_(ports),
        per_port_(per_port),
        random_(options.seed) {}

  std::uint64_t address(int port_index, std::uint64_t offset) {
    switch (options_.pattern) {
      case MemoryPattern::kSequential:
        return local_address(port_index, offset);
      case MemoryPattern::kInterleaved:
        return static_cast<std::uint64_t>(port_index) * per_port_ + offset;
      case MemoryPattern::kStrided: {
        // Each port strides through its own share of the memory, wrapping around.
        const std::uint64_t share =
            std::max<std::uint64_t>(config_.memory.bytes / static_cast<std::uint64_t>(ports_) /
                                        kDmaBurstBytes * kDmaBurstBytes,
                                    kDmaBurstBytes);
        const std::uint64_t step = offset / options_.request_bytes * options_.stride_bytes;
        return static_cast<std::uint64_t>(port_index) * share + step % share;
      }
      case MemoryPattern::kRandom: {
        const std::uint64_t slots = config_.memory.bytes / options_.request_bytes;
        return random_() % slots * options_.request_bytes;
      }
    }
    return 0;
  }

 private:
  // The port's switch's channels, granule by granule; ports that share a switch
  // take consecutive blocks of it.
  std::uint64_t local_address(int port_index, std::uint64_t offset) {
    const int port = port_index + 1;
    const int channels = model_.channels();
    const int switches = model_.switch_of_channel(channels - 1) + 1;
    const int home = model_.switch_of_port(port);
    const int local_channels = channels / switches;
    int rank = 0;  // among the ports of the same switch
    for (int other = 1; other < port; ++other) rank += model_.switch_of_port(other) == home;
    const std::uint64_t blocks =
        (per_port_ + DramModel::kInterleaveBytes - 1) / DramModel::kInterleaveBytes;
    const std::uint64_t n =
        static_cast<std::uint64_t>(rank) * blocks + offset / DramModel::kInterleaveBytes;
    const std::uint64_t granule =
        n / static_cast<std::uint64_t>(local_channels) * static_cast<std::uint64_t>(channels) +
        static_cast<std::uint64_t>(home * local_channels) +
        n % static_cast<std::uint64_t>(local_channels);
    return granule * DramModel::kInterleaveBytes + offset % DramModel::kInterleaveBytes;
  }

  const hls::HardwareConfig& config_;
  const DramModel& model_;
  const MemoryBenchOptions& options_;
  int ports_;
  std::uint64_t per_port_;
  std::mt19937_64 random_;
};

struct Port {
  std::uint64_t issued_bytes = 0;
  std::deque<double> in_flight;  // completion times, oldest first
};

// Up to one generator per unit port, or per memory channel where the memory has more
// (Shuhai drives one AXI port per HBM pseudo-channel).
void check(const hls::HardwareConfig& config, MemoryBenchOptions& options, int unit_ports) {
  if (options.ports == 0) options.ports = unit_ports;
  const int most = std::max(unit_ports, config.memory.channels);
  if (options.ports < 1 || options.ports > most) {
    throw std::invalid_argument("--units " + std::to_string(options.ports) + " must be 1.." +
                                std::to_string(most) + " (the units of " + config.name +
                                ", or one port per memory channel)");
  }
  const bool small =
      options.pattern == MemoryPattern::kStrided || options.pattern == MemoryPattern::kRandom;
  if (options.request_bytes == 0)
    options.request_bytes = small ? kSmallRequestBytes : kDmaBurstBytes;
  if (options.request_bytes > kDmaBurstBytes || kDmaBurstBytes % options.request_bytes != 0) {
    throw std::invalid_argument("--request " + std::to_string(options.request_bytes) +
                                " must divide the DMA burst of " + std::to_string(kDmaBurstBytes) +
                                " bytes");
  }
  if (options.bytes < options.request_bytes * static_cast<std::uint64_t>(options.ports) ||
      options.bytes > config.memory.bytes / 2) {
    throw std::invalid_argument("--bytes " + std::to_string(options.bytes) +
                                " must be at least one request per port and at most half of the " +
                                std::to_string(config.memory.bytes) + "-byte memory");
  }
  if (options.pattern == MemoryPattern::kStrided &&
      (options.stride_bytes < options.request_bytes || options.stride_bytes % 64 != 0)) {
    throw std::invalid_argument("--stride " + std::to_string(options.stride_bytes) +
                                " must be a multiple of 64 and at least the request size");
  }
}

}  // namespace

MemoryBenchResult measure_memory(const hls::HardwareConfig& config,
                                 const MemoryBenchOptions& requested) {
  MemoryBenchOptions options = requested;
  check(config, options, config.gemm.count + config.attention.count);
  MemoryBenchResult result;
  result.ports = options.ports;
  result.request_bytes = options.request_bytes;
  result.peak_gbps = config.memory.bandwidth_gbps;
  {
    // Between two refreshes of the channel.
    DramModel idle(config);
    const double at = config.memory.dram.refresh_interval_ns * 0.5e-9;
    result.idle_latency_ns = (idle.transfer(1, 0, options.request_bytes, options.write, at) - at +
                              idle.latency_seconds()) *
                             1e9;
  }
  DramModel model(config);
  const std::uint64_t per_port = options.bytes / static_cast<std::uint64_t>(options.ports) /
                                 options.request_bytes * options.request_bytes;
  AddressStream stream(config, model, options, options.ports, per_port);
  std::vector<Port> ports(static_cast<std::size_t>(options.ports));
  using Next = std::pair<double, int>;  // issue time, port index
  std::priority_queue<Next, std::vector<Next>, std::greater<>> order;
  for (int p = 0; p < options.ports; ++p) order.push({0.0, p});
  double last = 0, latency_sum = 0;
  while (!order.empty()) {
    const auto [now, p] = order.top();
    order.pop();
    Port& port = ports[static_cast<std::size_t>(p)];
    const std::uint64_t address = stream.address(p, port.issued_bytes);
    const double complete =
        model.transfer(p + 1, address, options.request_bytes, options.write, now) +
        model.latency_seconds();
    latency_sum += complete - now;
    last = std::max(last, complete);
    ++result.requests;
    port.issued_bytes += options.request_bytes;
    port.in_flight.push_back(complete);
    if (port.issued_bytes >= per_port) continue;
    double next = now;
    if (port.in_flight.size() >= kDmaBurstsInFlight) {
      next = std::max(now, port.in_flight.front());
      port.in_flight.pop_front();
    }
    order.push({next, p});
  }
  result.seconds = last;
  result.achieved_gbps = static_cast<double>(result.requests * options.request_bytes) / last / 1e9;
  result.mean_latency_ns = latency_sum / static_cast<double>(result.requests) * 1e9;
  const DramModel::Statistics& s = model.statistics();
  result.row_hits = s.row_hits;
  result.row_misses = s.row_misses;
  result.turnarounds = s.turnarounds;
  result.lateral_bytes = s.lateral_bytes;
  return result;
}

double achievable_memory_gbps(const hls::HardwareConfig& config) {
  MemoryBenchOptions options;
  options.bytes = std::min<std::uint64_t>(32ull << 20, config.memory.bytes / 2);
  return measure_memory(config, options).achieved_gbps;
}

}  // namespace tessera::sim
