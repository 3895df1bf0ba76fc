#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/hls/array_config.hpp"
#include "tessera/hls/resource_model.hpp"

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
    int buffer_words = 0;    // depth of each operand buffer (words of rows or cols bytes)
    bool checksums = false;  // Huang-Abraham checksums of every output tile (tessera/hls/abft.hpp)
    // The unit's memory data bus in words of `rows` bytes: 1 (a word a beat) or
    // kWidePortWords (a vector job's W a gather group of a row tile a beat; docs/rtl.md
    // "Memory port").
    int memory_port_words = 1;
    int port_bytes() const { return rows * memory_port_words; }
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
    // DRAM behaviour of each channel (docs/configs.md "Memory timing"). Without it
    // the channels are ideal pipes: no refresh, row misses or bus turnarounds.
    struct Dram {
      bool modeled = false;
      int page_bytes = 0;              // row buffer of one bank, per channel
      int banks = 0;                   // per channel
      double row_miss_ns = 0;          // precharge + activate (tRP + tRCD)
      double activate_window_ns = 0;   // four activates per window (tFAW)
      double refresh_interval_ns = 0;  // tREFI
      double refresh_ns = 0;           // tRFC: the channel is blocked this long
      double turnaround_ns = 0;        // between a read and a write burst
    } dram;
    // A switch between the unit ports and the channels (HBM's AXI switch): groups of
    // channels_per_switch channels, neighbours joined by lateral_links links per
    // direction, each as fast as one channel. None (0): every port reaches every
    // channel at no cost.
    struct Switch {
      int channels_per_switch = 0;
      int lateral_links = 0;
    } crossbar;
    // A published measurement of this memory's sequential-read bandwidth that the
    // timing above is checked against (0: none).
    double measured_gbps = 0;
  } memory;
  struct HostLink {
    double bandwidth_gbps = 0;
    double latency_us = 0;
  } host_link;
  // The board's host CPU as the runtime uses it between device commands (docs/configs.md
  // "Host"). Absent: host work takes no simulated time.
  struct Host {
    bool modeled = false;
    double glue_gflops = 0;            // fp32 elementwise work and sampling, one thread
    double driver_us_per_command = 0;  // building and submitting one device command
  } host;
  // Energy per event and the board's static power (docs/configs.md "Energy"). Absent:
  // no energy figures.
  struct Energy {
    bool modeled = false;
    double mac_pj = 0;             // one int8 multiply-accumulate of a GEMM unit
    double buffer_byte_pj = 0;     // one byte written to or read from an on-chip buffer
    double memory_byte_pj = 0;     // one byte read from or written to device memory
    double host_link_byte_pj = 0;  // one byte across the host link
    double static_watts = 0;       // the board, idle
  } energy;
  int address_bits = 0;
  struct Board {
    int dsp_slices = 0;
    int bram36 = 0;
    int uram = 0;
    long luts = 0;        // 0: not given, not checked
    long flip_flops = 0;  // 0: not given, not checked
  } board;

  ArrayShape array() const { return {gemm.rows, gemm.cols}; }
  // Peak int8 MACs per cycle of all GEMM units.
  long macs_per_cycle() const { return static_cast<long>(gemm.count) * gemm.rows * gemm.cols; }
  // The attention units' int8 multipliers: per unit one per lane for the scores and
  // one per lane for P·V (rtl/attention).
  long attention_multipliers() const { return 2L * attention.count * attention.head_size_max; }
  // DSP slices, LUTs and flip-flops the units need (resource_model.hpp: one slice
  // per int8 multiplier, logic calibrated on Yosys; docs/configs.md "Resources").
  UnitResources resources_needed() const;
  long dsp_slices_needed() const;
  // The fewest DSP slices any mapping needs: two int8 products per slice. A design
  // over this is rejected; one between it and dsp_slices_needed() is valid but does
  // not fit as the RTL maps it.
  long dsp_slices_lower_bound() const;
  // Whether the units, as the RTL maps them, fit the board's DSPs, logic and memory.
  bool fits_board() const;
  // What does not fit, one clause per resource ("needs N DSP slices ..., more than
  // board.dsp_slices = M"), "; "-separated; empty when fits_board().
  std::string fit_shortfall() const;
  long luts_needed() const;
  long flip_flops_needed() const;
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

// A preset name that names no preset: a usage error, unlike a configuration file
// that is wrong.
class UnknownPresetError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

// Parses and validates a configuration file.
HardwareConfig load_hardware_config(const std::filesystem::path& path);
// Parses and validates configuration text; `origin` names it in messages.
HardwareConfig parse_hardware_config(const std::string& json_text, const std::string& origin);
// The prefix of the program or library this is linked into (the folder above its
// bin/ or lib/): build/ in the build tree, the install prefix in an installed one.
// Empty if the system cannot say.
std::filesystem::path install_prefix();

// Where presets are found, in order: the folders of $TESSERA_CONFIG_PATH (a
// colon-separated list), then share/tessera/configs beside the program's or the
// library's folder (the build tree and an installed tree both have it).
std::vector<std::filesystem::path> config_search_path();
// Every NAME.json in those folders (the first folder that has a name wins).
std::vector<std::string> preset_names();
// The file of a preset (empty when there is none).
std::filesystem::path preset_file(const std::string& name);
// Whether a preset argument is a file path rather than a name (has a '/' or .json).
bool names_a_file(const std::string& name_or_path);
// A preset by name or a configuration file by path.
HardwareConfig load_preset(const std::string& name_or_path);

}  // namespace tessera::hls
