#include "platform/device_memory.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "tessera/sim/platform.hpp"

namespace tessera::sim {

using sc_core::sc_time;

DeviceMemory::DeviceMemory(sc_core::sc_module_name name, const hls::HardwareConfig& config,
                           bool timed, bool stores_data)
    : sc_module(name),
      socket("socket"),
      size_(config.memory.bytes),
      timed_(timed),
      latency_(config.memory.latency_ns, sc_core::SC_NS),
      timing_(config),
      epoch_(sc_core::sc_time_stamp()) {
  socket.register_b_transport(this, &DeviceMemory::b_transport);
  socket.register_get_direct_mem_ptr(this, &DeviceMemory::get_direct_mem_ptr);
  if (stores_data) {
    // Address space only: pages are backed, zero-filled, when first touched.
    void* reserved = mmap(nullptr, size_, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (reserved == MAP_FAILED) {
      throw DeviceError("device memory: cannot reserve " + std::to_string(size_) +
                        " bytes of address space for the simulated memory");
    }
    storage_ = static_cast<unsigned char*>(reserved);
  }
}

DeviceMemory::~DeviceMemory() {
  if (storage_ != nullptr) munmap(storage_, size_);
}

bool DeviceMemory::get_direct_mem_ptr(int, tlm::tlm_generic_payload& payload, tlm::tlm_dmi& dmi) {
  if (storage_ == nullptr || payload.get_address() >= size_) return false;
  dmi.set_dmi_ptr(storage_);
  dmi.set_start_address(0);
  dmi.set_end_address(size_ - 1);
  dmi.allow_read_write();
  dmi.set_read_latency(latency_);
  dmi.set_write_latency(latency_);
  return true;
}

void DeviceMemory::b_transport(int initiator, tlm::tlm_generic_payload& payload, sc_time& delay) {
  const std::uint64_t address = payload.get_address();
  const std::uint64_t bytes = payload.get_data_length();
  if (bytes == 0 || address >= size_ || bytes > size_ - address) {
    payload.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  const bool write = payload.is_write();
  if (storage_ != nullptr && payload.get_data_ptr() != nullptr) {
    unsigned char* data = payload.get_data_ptr();
    if (write) {
      std::memcpy(storage_ + address, data, bytes);
    } else {
      std::memcpy(data, storage_ + address, bytes);
    }
  }
  (write ? bytes_written_ : bytes_read_) += bytes;
  if (timed_) {
    const sc_time start = sc_core::sc_time_stamp() + delay;
    const double done =
        timing_.transfer(initiator, address, bytes, write, (start - epoch_).to_seconds());
    delay = epoch_ + sc_time(done, sc_core::SC_SEC) + latency_ - sc_core::sc_time_stamp();
  }
  payload.set_response_status(tlm::TLM_OK_RESPONSE);
}

}  // namespace tessera::sim
