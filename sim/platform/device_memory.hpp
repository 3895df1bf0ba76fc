#pragma once

#include <tlm_utils/multi_passthrough_target_socket.h>

#include <cstdint>
#include <systemc>
#include <tlm>
#include <vector>

#include "tessera/hls/hardware_config.hpp"
#include "tessera/sim/dram_model.hpp"

namespace tessera::sim {

// Device memory as a loosely-timed TLM-2.0 target. Its timing is DramModel's
// (channels, banks, refresh, switch); a transaction completes `latency` after its
// last byte has moved. Storage is sparse (pages appear on first write; unwritten
// bytes read as zero).
class DeviceMemory : public sc_core::sc_module {
 public:
  // Any number of initiators bind here (units' DMA, the host link).
  tlm_utils::multi_passthrough_target_socket<DeviceMemory> socket;

  DeviceMemory(sc_core::sc_module_name name, const hls::HardwareConfig& config, bool timed,
               bool stores_data);
  ~DeviceMemory() override;
  DeviceMemory(const DeviceMemory&) = delete;
  DeviceMemory& operator=(const DeviceMemory&) = delete;

  std::uint64_t bytes_read() const { return bytes_read_; }
  std::uint64_t bytes_written() const { return bytes_written_; }
  void reset_counters() { bytes_read_ = bytes_written_ = 0; }
  // The stored bytes (null in timing-only runs), for fault injection.
  std::uint8_t* data() { return storage_; }

 private:
  void b_transport(int initiator, tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  bool get_direct_mem_ptr(int initiator, tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi);

  std::uint64_t size_;
  bool timed_;
  sc_core::sc_time latency_;
  DramModel timing_;
  // The model's time zero: platforms built one after another in a process see the
  // same refresh schedule relative to their start.
  sc_core::sc_time epoch_;
  unsigned char* storage_ = nullptr;  // size_ bytes, or null for timing-only runs
  std::uint64_t bytes_read_ = 0, bytes_written_ = 0;
};

}  // namespace tessera::sim
