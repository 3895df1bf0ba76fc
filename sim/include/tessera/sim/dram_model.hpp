#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "tessera/hls/hardware_config.hpp"

namespace tessera::sim {

// The DMA engine of every unit (sim/platform/units.cpp) and the memory benchmark's
// traffic generators: requests of up to kDmaBurstBytes, kDmaBurstsInFlight at once.
constexpr std::uint64_t kDmaBurstBytes = 4096;
constexpr std::size_t kDmaBurstsInFlight = 16;

// Timing of device memory (docs/platform.md "Device memory"): addresses interleave
// over the channels in kInterleaveBytes granules. Each channel has one data bus
// (bandwidth / channels) and, when `memory.dram` is given, banks with one open row
// each: a request to another row waits for precharge + activate (at most four
// activates per activate window), a change between reading and writing costs a
// turnaround, and every refresh interval the channel stops for the refresh time
// (channels refresh staggered). With `memory.switch`, a port reaches the channels of
// other switches over lateral links, each moving one channel's bandwidth. Requests
// are served in the order they are given (first come, first served).
class DramModel {
 public:
  static constexpr std::uint64_t kInterleaveBytes = 4096;

  struct Statistics {
    std::uint64_t row_hits = 0;
    std::uint64_t row_misses = 0;
    std::uint64_t turnarounds = 0;
    std::uint64_t lateral_bytes = 0;  // bytes that crossed at least one lateral link
  };

  explicit DramModel(const hls::HardwareConfig& config);

  // Reserves what a request of `bytes` at `address` from `port` (an initiator of the
  // memory: 0 the host link, then the units) needs, arriving at `arrival` seconds.
  // Returns when its last byte has moved; the fixed latency comes on top.
  double transfer(int port, std::uint64_t address, std::uint64_t bytes, bool write, double arrival);

  double latency_seconds() const { return latency_; }
  int channel_of(std::uint64_t address) const;
  // The switch a channel or a port sits at (0 without a switch).
  int switch_of_channel(int channel) const;
  int switch_of_port(int port) const;
  int channels() const { return static_cast<int>(channels_.size()); }
  const Statistics& statistics() const { return statistics_; }

 private:
  struct Bank {
    std::int64_t open_row = -1;
    double ready = 0;  // when its last data moved: it may activate another row
  };
  struct Channel {
    double bus_free = 0;
    bool used = false;
    bool last_write = false;
    std::vector<Bank> banks;
    std::array<double, 4> activates{};  // the last four activate times, a ring
    std::size_t next_activate = 0;
    double refresh_phase = 0;
  };

  double move(int port, int channel, std::uint64_t local_address, std::uint64_t bytes, bool write,
              double arrival);
  double row_ready(Channel& channel, std::uint64_t local_address, double arrival);
  // The refresh window `t` falls in (counted from the channel's phase), and the
  // first time from `t` on that is not inside a refresh.
  std::int64_t refresh_index(const Channel& channel, double t) const;
  double after_refresh(const Channel& channel, double t) const;
  // The end of `busy` seconds of data transfer from `start`, stepping over refreshes.
  double advance(const Channel& channel, double start, double busy) const;
  // Reuses one vector: a transfer's pieces ask for their path one after another.
  const std::vector<double*>& lateral_path(int port, int channel, bool write);

  hls::HardwareConfig::Memory::Dram dram_;
  hls::HardwareConfig::Memory::Switch crossbar_;
  double latency_;
  double seconds_per_byte_;  // of one channel
  std::vector<Channel> channels_;
  int switches_ = 1;
  // Lateral links free times: [direction][boundary * links + link]; boundary b joins
  // switches b and b + 1.
  std::array<std::vector<double>, 2> lateral_free_;
  std::vector<double*> path_;
  Statistics statistics_;
};

}  // namespace tessera::sim
