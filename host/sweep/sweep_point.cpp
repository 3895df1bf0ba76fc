#include "sweep/sweep_point.hpp"

#include <optional>

#include "bench/model_bench.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/models/model_shapes.hpp"
#include "tessera/sim/platform.hpp"

namespace tessera::sweep {

namespace {

using json = nlohmann::ordered_json;

// The validator's message without the origin it starts with.
std::string reason(const std::exception& e, const std::string& origin) {
  std::string message = e.what();
  if (message.rfind(origin + ": ", 0) == 0) message.erase(0, origin.size() + 2);
  return message;
}

json resources(const hls::HardwareConfig& c) {
  return {{"dsp_slices", c.dsp_slices_needed()},
          {"luts", c.luts_needed()},
          {"flip_flops", c.flip_flops_needed()},
          {"on_chip_kbits", c.on_chip_bits_needed() / 1024}};
}

// The point's configuration on a board without limits: what it would need.
std::optional<hls::HardwareConfig> unbounded(json config, const std::string& origin) {
  // Far beyond any FPGA, within what the validator takes.
  config["board"] = {{"dsp_slices", 100000},
                     {"bram36", 100000},
                     {"uram", 100000},
                     {"luts", 100000000},
                     {"flip_flops", 100000000}};
  try {
    return hls::parse_hardware_config(config.dump(), origin);
  } catch (const hls::ConfigError&) {
    return std::nullopt;
  }
}

json timed(const Point& point, const hls::HardwareConfig& config) {
  sim::PlatformOptions options;
  options.fidelity = sim::Fidelity::kTlm;
  options.compute = false;
  sim::Platform platform(config, options);
  bench::ModelBenchOptions bench;
  bench.tokens = point.workload.tokens;
  bench.context = point.workload.context;
  bench.prefill = point.workload.prefill;
  const bench::ModelBenchResult r = bench::bench_shape(platform, point.workload.shape, bench);
  json metrics = {
      {"tokens_per_s", r.tokens_per_s()},
      {"seconds_per_token", r.seconds() / r.tokens},
      {"bw_utilization", r.bw_utilization(config)},
      {"mac_utilization", r.mac_utilization(config)},
      {"joules_per_token", nullptr},
      {"average_watts", nullptr},
      // For rooflines: the work per token and the hardware's peaks.
      {"ops_per_token", 2.0 * static_cast<double>(r.useful_macs) / r.tokens},
      {"bytes_per_token", static_cast<double>(r.bytes_needed) / r.tokens},
      {"peak_gops", 2.0 * static_cast<double>(config.macs_per_cycle()) * config.clock_mhz * 1e-3},
      {"peak_gbps", config.memory.bandwidth_gbps}};
  if (const auto energy = r.energy(config)) {
    metrics["joules_per_token"] = energy->joules() / r.tokens;
    metrics["average_watts"] = energy->joules() / r.seconds();
  }
  return metrics;
}

}  // namespace

const std::vector<std::string>& result_columns() {
  static const std::vector<std::string> columns = {
      "status",         "tokens_per_s",    "seconds_per_token",
      "bw_utilization", "mac_utilization", "joules_per_token",
      "average_watts",  "dsp_slices",      "luts",
      "flip_flops",     "on_chip_kbits",   "fits_board",
      "message"};
  return columns;
}

nlohmann::ordered_json run_point(const Point& point) {
  const std::string origin = "point " + point.id;
  json result = {{"id", point.id}, {"index", point.index}};
  try {
    const hls::HardwareConfig config = hls::parse_hardware_config(point.config.dump(), origin);
    result["status"] = "ok";
    result["message"] = "";
    result["resources"] = resources(config);
    // Valid, yet over the board as the RTL maps it: DSP slices at one int8 product
    // per slice (it would need the engine to pack two), or logic by an estimate within
    // its error (docs/configs.md "Resources"). Timed, and marked.
    const std::string shortfall = config.fit_shortfall();
    result["fits_board"] = shortfall.empty();
    if (!shortfall.empty()) result["message"] = shortfall;
    try {
      result["metrics"] = timed(point, config);
    } catch (const std::exception& e) {  // e.g. the model does not fit device memory
      result["status"] = "invalid";
      result["message"] = e.what();
      result.erase("metrics");
    }
  } catch (const hls::ConfigError& e) {
    result["message"] = reason(e, origin);
    const auto relaxed = unbounded(point.config, origin);
    result["status"] = relaxed ? "over_budget" : "invalid";
    result["resources"] = relaxed ? resources(*relaxed) : json();
    result["fits_board"] = false;
  }
  return result;
}

}  // namespace tessera::sweep
