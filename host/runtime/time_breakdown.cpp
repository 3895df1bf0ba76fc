#include "runtime/time_breakdown.hpp"

#include <algorithm>

namespace tessera::runtime {

double host_glue_flops_per_token(const models::ModelConfig& c, int ffn_matrices) {
  const double dim = c.dim, kv = c.kv_dim(), hidden = c.hidden_dim;
  constexpr double kNorm = 3, kQuantize = 3, kDequantize = 1, kRope = 3, kExp = 6;
  const double ffn_inputs = dim + hidden;  // the MLP's two quantized inputs
  const double ffn_outputs = ffn_matrices == 3 ? 2 * hidden + dim : hidden + dim;
  const double activation = (ffn_matrices == 3 ? 4 : 8) * hidden + kExp * hidden;
  const double layer = 2 * kNorm * dim                       // attention and MLP norms
                       + kQuantize * (2 * dim + ffn_inputs)  // x for q/k/v, wo input
                       + kDequantize * (dim + 2 * kv + dim + ffn_outputs) +
                       kRope * (dim + kv)            // q and k rotated
                       + kQuantize * (dim + 2 * kv)  // query and K/V records
                       + kDequantize * dim           // attention output
                       + activation + 2 * dim;       // residual adds
  const double head =
      kNorm * dim + kQuantize * dim + kDequantize * c.vocab_size + c.vocab_size;  // argmax
  return c.n_layers * layer + head;
}

nlohmann::ordered_json TimeBreakdown::to_json() const {
  return {{"device_compute", device_compute},
          {"memory_stall", memory_stall},
          {"host_glue", host_glue},
          {"host_link", host_link},
          {"driver", driver}};
}

TimeBreakdown decode_time_breakdown(const hls::HardwareConfig& hardware,
                                    const nlohmann::ordered_json& counters, double tokens,
                                    double glue_flops_per_token) {
  TimeBreakdown b;
  if (tokens <= 0) return b;
  const double device = counters.value("simulated_seconds", 0.0) / tokens;
  const double link =
      counters.contains("host_link") ? counters["host_link"].value("busy_seconds", 0.0) : 0.0;
  double busiest = 0;
  if (counters.contains("units")) {
    for (const auto& unit : counters["units"]) {
      busiest = std::max(busiest, unit.value("compute_cycles", 0.0));
    }
  }
  b.device_compute = std::min(device, busiest / (hardware.clock_mhz * 1e6) / tokens);
  b.host_link = std::min(device - b.device_compute, link / tokens);
  b.memory_stall = device - b.device_compute - b.host_link;
  if (hardware.host.modeled) {
    b.host_glue = glue_flops_per_token / (hardware.host.glue_gflops * 1e9);
    b.driver =
        counters.value("commands", 0.0) / tokens * hardware.host.driver_us_per_command * 1e-6;
  }
  return b;
}

}  // namespace tessera::runtime
