#pragma once

// Bandwidth bounds worked out from a hardware configuration alone, for tests that
// hold the memory model and the decode path to them.
#include "tessera/hls/hardware_config.hpp"

namespace tessera::testing {

// What refresh leaves: each channel stops refresh_ns every refresh interval.
double refresh_bound_gbps(const hls::HardwareConfig& config);

// What the GEMM units' memory ports move: one word of the array's row of bytes per
// clock each (docs/rtl.md, "Accelerator top").
double port_bound_gbps(const hls::HardwareConfig& config);

// Reads that each open a new row: four activates per activate window per channel.
double activate_bound_gbps(const hls::HardwareConfig& config, double request_bytes);

// Every unit port striping its traffic uniformly over all channels through the
// switch: the busiest lateral link (one channel's bandwidth) carries its ports'
// crossing shares. Ports 1.. are the units (0 is the host link); port p sits at
// switch p % switches and uses link (p % switches + p / switches) % lateral_links.
double lateral_bound_gbps(const hls::HardwareConfig& config);

}  // namespace tessera::testing
