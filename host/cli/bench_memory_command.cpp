#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "cli/commands.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/sim/memory_bench.hpp"

namespace tessera::cli {
namespace {

struct MemoryBenchRequest {
  std::string preset = "u280";
  std::string pattern = "sequential";
  sim::MemoryBenchOptions options;
  bool json = false;
};

nlohmann::ordered_json to_json(const hls::HardwareConfig& config, const MemoryBenchRequest& r,
                               const sim::MemoryBenchResult& m) {
  nlohmann::ordered_json out;
  out["preset"] = config.name;
  out["pattern"] = r.pattern;
  out["direction"] = r.options.write ? "write" : "read";
  out["ports"] = m.ports;
  out["request_bytes"] = m.request_bytes;
  out["requests"] = m.requests;
  out["bytes"] = m.requests * m.request_bytes;
  out["simulated_seconds"] = m.seconds;
  out["achieved_gbps"] = m.achieved_gbps;
  out["peak_gbps"] = m.peak_gbps;
  out["efficiency"] = m.achieved_gbps / m.peak_gbps;
  out["measured_gbps"] = config.memory.measured_gbps > 0
                             ? nlohmann::ordered_json(config.memory.measured_gbps)
                             : nlohmann::ordered_json(nullptr);
  out["dram_timing"] = config.memory.dram.modeled;
  out["idle_latency_ns"] = m.idle_latency_ns;
  out["mean_latency_ns"] = m.mean_latency_ns;
  out["row_hits"] = m.row_hits;
  out["row_misses"] = m.row_misses;
  out["turnarounds"] = m.turnarounds;
  out["lateral_bytes"] = m.lateral_bytes;
  return out;
}

void print_text(const hls::HardwareConfig& config, const MemoryBenchRequest& r,
                const sim::MemoryBenchResult& m) {
  std::printf("%s memory, %s %s, %d ports, %llu-byte requests, %llu bytes\n", config.name.c_str(),
              r.pattern.c_str(), r.options.write ? "writes" : "reads", m.ports,
              static_cast<unsigned long long>(m.request_bytes),
              static_cast<unsigned long long>(m.requests * m.request_bytes));
  std::printf("achieved %.1f GB/s of %.1f GB/s peak (%.1f %%)", m.achieved_gbps, m.peak_gbps,
              100.0 * m.achieved_gbps / m.peak_gbps);
  if (config.memory.measured_gbps > 0) {
    std::printf("; measured on the board: %.1f GB/s", config.memory.measured_gbps);
  }
  std::printf("\nlatency: %.0f ns idle, %.0f ns mean under this load\n", m.idle_latency_ns,
              m.mean_latency_ns);
  const std::uint64_t rows = m.row_hits + m.row_misses;
  if (config.memory.dram.modeled && rows > 0) {
    std::printf("row hits %.1f %%, bus turnarounds %llu",
                100.0 * static_cast<double>(m.row_hits) / static_cast<double>(rows),
                static_cast<unsigned long long>(m.turnarounds));
  } else {
    std::printf("ideal channels (the config has no memory.dram timing)");
  }
  std::printf(", through lateral switch links %.1f %% of bytes\n",
              100.0 * static_cast<double>(m.lateral_bytes) /
                  static_cast<double>(m.requests * m.request_bytes));
}

}  // namespace

Command add_memory_bench_command(CLI::App& bench) {
  auto request = std::make_shared<MemoryBenchRequest>();
  CLI::App* memory = bench.add_subcommand(
      "memory",
      "Device memory bandwidth and latency of a hardware config (DRAM/HBM timing model) "
      "under a traffic pattern, one generator at each unit's port");
  memory->add_option("--preset", request->preset, "hardware preset or config file")
      ->capture_default_str();
  std::string patterns;
  std::vector<std::string> names;
  for (const sim::MemoryPatternInfo& info : sim::memory_patterns()) {
    patterns += std::string(patterns.empty() ? "" : "; ") + info.name + ": " + info.description;
    names.push_back(info.name);
  }
  memory->add_option("--pattern", request->pattern, patterns)
      ->capture_default_str()
      ->check(CLI::IsMember(names));
  memory->add_option("--bytes", request->options.bytes, "bytes moved in all")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{64}, std::uint64_t{1} << 40));
  memory
      ->add_option(
          "--units", request->options.ports,
          "ports that generate traffic (default: every unit's port; at most that or one per "
          "memory channel, as Shuhai measures HBM)")
      ->check(CLI::Range(1, 4096));
  memory
      ->add_option("--request", request->options.request_bytes,
                   "bytes per request (default: the 4096-byte DMA burst; 64 for strided and "
                   "random)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{4096}));
  memory->add_option("--stride", request->options.stride_bytes, "bytes between strided requests")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{64}, std::uint64_t{1} << 30));
  memory->add_flag("--write", request->options.write, "write instead of read");
  memory->add_option("--seed", request->options.seed, "seed of the random pattern")
      ->capture_default_str();
  memory->add_flag("--json", request->json, "print one JSON object");
  return {memory, [request] {
            const hls::HardwareConfig config = hls::load_preset(request->preset);
            request->options.pattern = *sim::memory_pattern_named(request->pattern);
            sim::MemoryBenchResult result;
            try {
              result = sim::measure_memory(config, request->options);
            } catch (const std::invalid_argument& error) {
              throw CLI::ValidationError(error.what());  // a usage error: exit 2
            }
            if (request->json) {
              std::printf("%s\n", to_json(config, *request, result).dump(2).c_str());
            } else {
              print_text(config, *request, result);
            }
            return 0;
          }};
}

}  // namespace tessera::cli
