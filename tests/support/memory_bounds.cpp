#include "support/memory_bounds.hpp"

#include <algorithm>

namespace tessera::testing {

double port_bound_gbps(const hls::HardwareConfig& c) {
  return c.gemm.port_bytes() * c.clock_mhz * 1e6 * c.gemm.count / 1e9;
}

double refresh_bound_gbps(const hls::HardwareConfig& c) {
  return c.memory.bandwidth_gbps *
         (1.0 - c.memory.dram.refresh_ns / c.memory.dram.refresh_interval_ns);
}

double activate_bound_gbps(const hls::HardwareConfig& c, double request_bytes) {
  return c.memory.channels * 4.0 * request_bytes / c.memory.dram.activate_window_ns;
}

double lateral_bound_gbps(const hls::HardwareConfig& c) {
  const int ports = c.gemm.count + c.attention.count;
  const int switches = c.memory.channels / c.memory.crossbar.channels_per_switch;
  const int links = c.memory.crossbar.lateral_links;
  double worst = 0;  // shares of one port's traffic on the busiest link
  for (int boundary = 0; boundary + 1 < switches; ++boundary) {
    for (int link = 0; link < links; ++link) {
      double load = 0;
      for (int port = 1; port <= ports; ++port) {
        if ((port % switches + port / switches) % links != link) continue;
        const int home = port % switches;
        load += home <= boundary ? static_cast<double>(switches - 1 - boundary) / switches
                                 : static_cast<double>(boundary + 1) / switches;
      }
      worst = std::max(worst, load);
    }
  }
  const double channel_gbps = c.memory.bandwidth_gbps / c.memory.channels;
  return ports * channel_gbps / worst;
}

}  // namespace tessera::testing
