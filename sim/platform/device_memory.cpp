#include "platform/device_memory.hpp"

#include <algorithm>
#include <cstring>

namespace tessera::sim {

using sc_core::sc_time;

DeviceMemory::DeviceMemory(sc_core::sc_module_name name, const hls::HardwareConfig& config,
                           bool timed, bool stores_data)
    : sc_module(name),
      socket("socket"),
      size_(config.memory.bytes),
      timed_(timed),
      stores_data_(stores_data),
      latency_(config.memory.latency_ns, sc_core::SC_NS),
      seconds_per_byte_per_channel_(config.memory.channels / (config.memory.bandwidth_gbps * 1e9)),
      channel_free_(static_cast<std::size_t>(config.memory.channels), sc_core::SC_ZERO_TIME) {
  socket.register_b_transport(this, &DeviceMemory::b_transport);
}

void DeviceMemory::b_transport(int, tlm::tlm_generic_payload& payload, sc_time& delay) {
  const std::uint64_t address = payload.get_address();
  const std::uint64_t bytes = payload.get_data_length();
  if (bytes == 0 || address >= size_ || bytes > size_ - address) {
    payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  const bool write = payload.is_write();
  if (stores_data_ && payload.get_data_ptr() != nullptr) {
    copy(address, payload.get_data_ptr(), bytes, write);
  }
  (write ? bytes_written_ : bytes_read_) += bytes;
  if (timed_) {
    const sc_time start = sc_core::sc_time_stamp() + delay;
    delay = occupy_channels(address, bytes, start) + latency_ - sc_core::sc_time_stamp();
  }
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

// Reserves each granule's channel from `start` on; returns when the last one is done.
sc_time DeviceMemory::occupy_channels(std::uint64_t address, std::uint64_t bytes,
                                      const sc_time& start) {
  sc_time done = start;
  const std::uint64_t channels = channel_free_.size();
  for (std::uint64_t at = address; at < address + bytes;) {
    const std::uint64_t granule_end = (at / kInterleaveBytes + 1) * kInterleaveBytes;
    const std::uint64_t piece = std::min(granule_end, address + bytes) - at;
    sc_time& free_at = channel_free_[(at / kInterleaveBytes) % channels];
    free_at = std::max(free_at, start) +
              sc_time(static_cast<double>(piece) * seconds_per_byte_per_channel_, sc_core::SC_SEC);
    done = std::max(done, free_at);
    at += piece;
  }
  return done;
}

void DeviceMemory::copy(std::uint64_t address, unsigned char* data, std::uint64_t bytes,
                        bool write) {
  while (bytes > 0) {
    const std::uint64_t page = address / kPageBytes, offset = address % kPageBytes;
    const std::uint64_t piece = std::min(bytes, kPageBytes - offset);
    auto found = pages_.find(page);
    if (write) {
      if (found == pages_.end()) {
        found = pages_.emplace(page, std::make_unique<unsigned char[]>(kPageBytes)).first;
        std::memset(found->second.get(), 0, kPageBytes);
      }
      std::memcpy(found->second.get() + offset, data, piece);
    } else if (found == pages_.end()) {
      std::memset(data, 0, piece);
    } else {
      std::memcpy(data, found->second.get() + offset, piece);
    }
    address += piece;
    data += piece;
    bytes -= piece;
  }
}

}  // namespace tessera::sim
