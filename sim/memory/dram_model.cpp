#include "tessera/sim/dram_model.hpp"

#include <algorithm>
#include <cmath>

namespace tessera::sim {

DramModel::DramModel(const hls::HardwareConfig& config)
    : dram_(config.memory.dram),
      crossbar_(config.memory.crossbar),
      latency_(config.memory.latency_ns * 1e-9),
      seconds_per_byte_(config.memory.channels / (config.memory.bandwidth_gbps * 1e9)),
      channels_(static_cast<std::size_t>(config.memory.channels)) {
  const double interval = dram_.refresh_interval_ns * 1e-9;
  for (std::size_t c = 0; c < channels_.size(); ++c) {
    channels_[c].banks.resize(static_cast<std::size_t>(std::max(1, dram_.banks)));
    // Staggered so that the channels do not all stop at once.
    channels_[c].refresh_phase =
        interval * static_cast<double>(c) / static_cast<double>(channels_.size());
    channels_[c].activates.fill(-1.0);
  }
  if (crossbar_.channels_per_switch > 0) {
    switches_ = config.memory.channels / crossbar_.channels_per_switch;
    for (auto& links : lateral_free_) {
      links.assign(static_cast<std::size_t>(std::max(0, switches_ - 1) * crossbar_.lateral_links),
                   0.0);
    }
  }
}

int DramModel::channel_of(std::uint64_t address) const {
  return static_cast<int>((address / kInterleaveBytes) % channels_.size());
}

int DramModel::switch_of_channel(int channel) const {
  return crossbar_.channels_per_switch > 0 ? channel / crossbar_.channels_per_switch : 0;
}

int DramModel::switch_of_port(int port) const { return port % switches_; }

double DramModel::transfer(int port, std::uint64_t address, std::uint64_t bytes, bool write,
                           double arrival) {
  double done = arrival;
  const std::uint64_t channels = channels_.size();
  for (std::uint64_t at = address; at < address + bytes;) {
    const std::uint64_t granule = at / kInterleaveBytes;
    const std::uint64_t piece = std::min((granule + 1) * kInterleaveBytes, address + bytes) - at;
    // The channel's own address: its granules follow each other.
    const std::uint64_t local = (granule / channels) * kInterleaveBytes + at % kInterleaveBytes;
    const int channel = static_cast<int>(granule % channels);
    done = std::max(done, move(port, channel, local, piece, write, arrival));
    at += piece;
  }
  return done;
}

// One piece within a channel granule, row by row.
double DramModel::move(int port, int channel_index, std::uint64_t local_address,
                       std::uint64_t bytes, bool write, double arrival) {
  Channel& channel = channels_[static_cast<std::size_t>(channel_index)];
  const std::vector<double*>& links = lateral_path(port, channel_index, write);
  if (!links.empty()) statistics_.lateral_bytes += bytes;
  const std::uint64_t page = dram_.modeled ? static_cast<std::uint64_t>(dram_.page_bytes) : bytes;
  double end = arrival;
  for (std::uint64_t at = local_address; at < local_address + bytes;) {
    const std::uint64_t chunk = std::min((at / page + 1) * page, local_address + bytes) - at;
    double start =
        std::max(dram_.modeled ? row_ready(channel, at, arrival) : arrival, channel.bus_free);
    if (dram_.modeled && channel.used && channel.last_write != write) {
      start = std::max(start, channel.bus_free + dram_.turnaround_ns * 1e-9);
      ++statistics_.turnarounds;
    }
    end = advance(channel, start, static_cast<double>(chunk) * seconds_per_byte_);
    channel.bus_free = end;
    channel.used = true;
    channel.last_write = write;
    if (dram_.modeled) {
      const std::uint64_t row = at / page;
      channel.banks[row % channel.banks.size()].ready = end;
    }
    at += chunk;
  }
  // Each lateral link on the way moves the piece at one channel's rate, in the order
  // pieces reach it; the switch buffers between links and the channel.
  const double crossing = static_cast<double>(bytes) * seconds_per_byte_;
  for (double* link : links) {
    *link = std::max(*link, arrival) + crossing;
    end = std::max(end, *link);
  }
  return end;
}

// When the row holding `local_address` is open for data: at once on a hit, else
// after precharge + activate, no earlier than the bank is free and than four
// activates ago plus the activate window.
double DramModel::row_ready(Channel& channel, std::uint64_t local_address, double arrival) {
  const std::uint64_t row = local_address / static_cast<std::uint64_t>(dram_.page_bytes);
  Bank& bank = channel.banks[row % channel.banks.size()];
  const auto row_in_bank = static_cast<std::int64_t>(row / channel.banks.size());
  // A refresh closes every row (all-bank refresh precharges them).
  const double access = std::max(arrival, channel.bus_free);
  if (refresh_index(channel, access) > refresh_index(channel, bank.ready)) bank.open_row = -1;
  if (bank.open_row == row_in_bank) {
    ++statistics_.row_hits;
    return arrival;
  }
  ++statistics_.row_misses;
  double& oldest = channel.activates[channel.next_activate];
  double activate = std::max(arrival, bank.ready);
  if (oldest >= 0) activate = std::max(activate, oldest + dram_.activate_window_ns * 1e-9);
  activate = after_refresh(channel, activate);
  oldest = activate;
  channel.next_activate = (channel.next_activate + 1) % channel.activates.size();
  bank.open_row = row_in_bank;
  return activate + dram_.row_miss_ns * 1e-9;
}

std::int64_t DramModel::refresh_index(const Channel& channel, double t) const {
  return static_cast<std::int64_t>(
      std::floor((t - channel.refresh_phase) / (dram_.refresh_interval_ns * 1e-9)));
}

double DramModel::after_refresh(const Channel& channel, double t) const {
  const double interval = dram_.refresh_interval_ns * 1e-9;
  const double window =
      channel.refresh_phase + static_cast<double>(refresh_index(channel, t)) * interval;
  return std::max(t, window + dram_.refresh_ns * 1e-9);
}

double DramModel::advance(const Channel& channel, double start, double busy) const {
  if (!dram_.modeled) return start + busy;
  const double interval = dram_.refresh_interval_ns * 1e-9;
  const double blocked = dram_.refresh_ns * 1e-9;
  double window =
      channel.refresh_phase + static_cast<double>(refresh_index(channel, start)) * interval;
  double t = std::max(start, window + blocked);
  for (;;) {
    const double next = window + interval;
    if (t + busy <= next) return t + busy;
    busy -= next - t;
    window = next;
    t = window + blocked;
  }
}

// The lateral links a transfer holds between the port's switch and the channel's,
// one per boundary crossed. The units' ports alternate between the lateral links
// (PG276: one link serves masters 0-1 of a switch, the other 2-3), so that neighbours
// and ports that share a switch use different links.
const std::vector<double*>& DramModel::lateral_path(int port, int channel, bool write) {
  std::vector<double*>& links = path_;
  links.clear();
  if (crossbar_.channels_per_switch == 0) return links;
  const int from = switch_of_port(port), to = switch_of_channel(channel);
  const int link = (port % switches_ + port / switches_) % crossbar_.lateral_links;
  auto& free = lateral_free_[write ? 1 : 0];
  for (int boundary = std::min(from, to); boundary < std::max(from, to); ++boundary) {
    links.push_back(&free[static_cast<std::size_t>(boundary * crossbar_.lateral_links + link)]);
  }
  return links;
}

}  // namespace tessera::sim
