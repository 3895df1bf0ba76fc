#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "tessera/hls/hardware_config.hpp"

namespace tessera::bench {

// Energy of a measured run from the device's counters and the config's per-event
// energies (docs/configs.md "Energy"): events times their energy, plus the board's
// static power over the run's simulated time.
struct EnergyEstimate {
  double mac_joules = 0;        // the GEMM units' int8 MACs
  double buffer_joules = 0;     // on-chip buffer writes and reads (an estimate, below)
  double memory_joules = 0;     // device-memory bytes read and written
  double host_link_joules = 0;  // bytes across the host link, both ways
  double static_joules = 0;     // static_watts over the seconds
  double joules() const {
    return mac_joules + buffer_joules + memory_joules + host_link_joules + static_joules;
  }
  nlohmann::ordered_json to_json(int tokens, double seconds) const;
};

// `counters`: the cl_tessera_counters object (sim::to_json) of the run; `seconds`:
// its simulated time, host glue included. Nothing without an `energy` section.
// Buffer bytes: every byte a unit's DMA reads is written into a buffer once; a GEMM
// unit reads ROWS + COLS operand bytes per compute cycle, an attention unit each
// record byte once more.
std::optional<EnergyEstimate> estimate_energy(const hls::HardwareConfig& config,
                                              const nlohmann::ordered_json& counters,
                                              double seconds);

}  // namespace tessera::bench
