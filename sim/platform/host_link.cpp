#include "platform/host_link.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include "platform/transaction.hpp"
#include "tessera/sim/platform.hpp"

namespace tessera::sim {

using sc_core::sc_time;

HostLink::HostLink(sc_core::sc_module_name name, const hls::HardwareConfig& config, bool timed)
    : sc_module(name),
      memory("memory"),
      timed_(timed),
      latency_(config.host_link.latency_us, sc_core::SC_US),
      seconds_per_byte_(1.0 / (config.host_link.bandwidth_gbps * 1e9)) {}

// The link is busy from when it is free until the bytes have crossed it.
sc_time HostLink::occupy(std::uint64_t bytes) {
  const sc_time now = sc_core::sc_time_stamp();
  const double crossing = static_cast<double>(bytes) * seconds_per_byte_;
  busy_seconds_ += crossing + latency_.to_seconds();
  free_at_ = std::max(free_at_, now) + sc_time(crossing, sc_core::SC_SEC);
  return free_at_ - now;
}

sc_time HostLink::transfer(std::uint64_t address, std::uint8_t* data, std::uint64_t bytes,
                           bool to_device) {
  (to_device ? to_device_ : from_device_) += bytes;
  tlm::tlm_generic_payload& payload = payload_;
  prepare(payload, to_device ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, address, data,
          bytes);
  sc_time delay = timed_ ? occupy(bytes) : sc_core::SC_ZERO_TIME;
  memory->b_transport(payload, delay);
  if (payload.get_response_status() != tlm::TLM_OK_RESPONSE) {
    char at[24];
    std::snprintf(at, sizeof at, "0x%llx", static_cast<unsigned long long>(address));
    throw DeviceError("host transfer of " + std::to_string(bytes) + " bytes at " + at +
                      " is outside device memory");
  }
  return timed_ ? delay + latency_ : sc_core::SC_ZERO_TIME;
}

sc_time HostLink::message(std::uint64_t bytes) {
  to_device_ += bytes;
  return timed_ ? occupy(bytes) + latency_ : sc_core::SC_ZERO_TIME;
}

}  // namespace tessera::sim
