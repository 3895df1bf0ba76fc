#include "bench/energy.hpp"

namespace tessera::bench {

namespace {

constexpr double kPico = 1e-12;

double number(const nlohmann::ordered_json& object, const char* key) {
  return object.value(key, 0.0);
}

}  // namespace

nlohmann::ordered_json EnergyEstimate::to_json(int tokens, double seconds) const {
  const double per_token = tokens > 0 ? joules() / tokens : 0.0;
  return {{"joules_per_token", per_token},
          {"tokens_per_joule", per_token > 0 ? 1.0 / per_token : 0.0},
          {"average_watts", seconds > 0 ? joules() / seconds : 0.0},
          {"joules",
           {{"macs", mac_joules},
            {"buffers", buffer_joules},
            {"memory", memory_joules},
            {"host_link", host_link_joules},
            {"static", static_joules}}}};
}

std::optional<EnergyEstimate> estimate_energy(const hls::HardwareConfig& config,
                                              const nlohmann::ordered_json& counters,
                                              double seconds) {
  if (!config.energy.modeled) return std::nullopt;
  const hls::HardwareConfig::Energy& e = config.energy;
  double macs = 0, buffer_bytes = 0;
  for (const auto& unit : counters.value("units", nlohmann::ordered_json::array())) {
    const double written = number(unit, "bytes_read");
    const bool gemm = unit.value("unit", "").rfind("gemm", 0) == 0;
    macs += number(unit, "macs");
    buffer_bytes += written + (gemm ? number(unit, "compute_cycles") *
                                          static_cast<double>(config.gemm.rows + config.gemm.cols)
                                    : written);
  }
  const auto& memory = counters.value("memory", nlohmann::ordered_json::object());
  const auto& link = counters.value("host_link", nlohmann::ordered_json::object());
  EnergyEstimate out;
  out.mac_joules = macs * e.mac_pj * kPico;
  out.buffer_joules = buffer_bytes * e.buffer_byte_pj * kPico;
  out.memory_joules =
      (number(memory, "bytes_read") + number(memory, "bytes_written")) * e.memory_byte_pj * kPico;
  out.host_link_joules = (number(link, "bytes_to_device") + number(link, "bytes_from_device")) *
                         e.host_link_byte_pj * kPico;
  out.static_joules = e.static_watts * seconds;
  return out;
}

}  // namespace tessera::bench
