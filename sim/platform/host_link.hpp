#pragma once

#include <tlm_utils/simple_initiator_socket.h>

#include <cstdint>
#include <systemc>
#include <tlm>

#include "tessera/hls/hardware_config.hpp"

namespace tessera::sim {

// The PCIe-like link between the host and device memory: one transfer at a time at
// the link's bandwidth, plus its latency. Called from the host (outside SystemC
// processes); returns the delay after which the transfer is complete.
class HostLink : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<HostLink> memory;

  HostLink(sc_core::sc_module_name name, const hls::HardwareConfig& config, bool timed);

  // Throws DeviceError for an address outside device memory.
  sc_core::sc_time transfer(std::uint64_t address, std::uint8_t* data, std::uint64_t bytes,
                            bool to_device);
  // A small posted message (a command, an interrupt): latency plus its bytes.
  sc_core::sc_time message(std::uint64_t bytes);
  sc_core::sc_time latency() const { return timed_ ? latency_ : sc_core::SC_ZERO_TIME; }

  std::uint64_t bytes_to_device() const { return to_device_; }
  std::uint64_t bytes_from_device() const { return from_device_; }
  // What the transfers and messages took: their bytes at the link's rate plus one
  // latency each (whether or not they overlapped device work).
  double busy_seconds() const { return busy_seconds_; }
  void reset_counters() {
    to_device_ = from_device_ = 0;
    busy_seconds_ = 0;
  }

 private:
  sc_core::sc_time occupy(std::uint64_t bytes);

  tlm::tlm_generic_payload payload_;  // reused by every transfer
  bool timed_;
  sc_core::sc_time latency_;
  double seconds_per_byte_;
  sc_core::sc_time free_at_;
  std::uint64_t to_device_ = 0, from_device_ = 0;
  double busy_seconds_ = 0;
};

}  // namespace tessera::sim
