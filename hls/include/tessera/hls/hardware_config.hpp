#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/hls/array_config.hpp"

namespace tessera::hls {

// A hardware configuration (configs/*.json, docs/configs.md): the one description of
// the accelerator that the HLS kernel instantiation, the RTL parameters, the cycle
// model and the simulated platform all read.
struct HardwareConfig {
  std::string name;
  std::string description;
  double clock_mhz = 0;
  struct GemmUnits {
    int count = 0;
    int rows = 0;
    int cols = 0;
    int buffer_words = 0;  // depth of each operand buffer (words of rows or cols bytes)
  } gemm;
  struct AttentionUnits {
    int count = 0;
    int head_size_max = 0;
    int context_max = 0;
  } attention;
  struct Memory {
    std::uint64_t bytes = 0;
    double bandwidth_gbps = 0;  // GB/s, 1e9 bytes per second
    double latency_ns = 0;
    int channels = 0;
  } memory;
  struct HostLink {
    double bandwidth_gbps = 0;
    double latency_us = 0;
  } host_link;
  int address_bits = 0;
  struct Board {
    int dsp_slices = 0;
    int bram36 = 0;
    int uram = 0;
  } board;

  ArrayShape array() const { return {gemm.rows, gemm.cols}; }
  // Peak int8 MACs per cycle of all GEMM units.
  long macs_per_cycle() const { return static_cast<long>(gemm.count) * gemm.rows * gemm.cols; }
  // The attention units' int8 multipliers: per unit one per lane for the scores and
  // one per lane for P·V (rtl/attention).
  long attention_multipliers() const { return 2L * attention.count * attention.head_size_max; }
  // DSP slices the design needs at least: its int8 multipliers at two per slice (the
  // most a DSP48E2 packs) plus the attention units' wide fixed-point products.
  long dsp_slices_needed() const;
  // Memory bytes per accelerator cycle at peak bandwidth.
  double memory_bytes_per_cycle() const { return memory.bandwidth_gbps * 1e3 / clock_mhz; }
  // On-chip storage the units need, in bits, and what the board offers.
  std::uint64_t on_chip_bits_needed() const;
  std::uint64_t on_chip_bits_available() const;
};

// A configuration that cannot be built or simulated; the message names the field,
// as in "configs/x.json: memory.bandwidth_gbps = 0 must be positive".
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses and validates a configuration file.
HardwareConfig load_hardware_config(const std::filesystem::path& path);
// Parses and validates configuration text; `origin` names it in messages.
HardwareConfig parse_hardware_config(const std::string& json_text, const std::string& origin);
// A preset by name (configs/NAME.json in the source tree) or a path to a file.
HardwareConfig load_preset(const std::string& name_or_path);
std::vector<std::string> preset_names();

}  // namespace tessera::hls
