#pragma once

#include <cstdint>
#include <tlm>

namespace tessera::sim {

// Readies a payload an initiator keeps for its next transaction. Initiators reuse
// one payload instead of building one per transfer: constructing a payload allocates
// its extension array, which costs more than a small transfer itself. Targets here
// never keep a payload past b_transport, so reuse is safe.
inline void prepare(tlm::tlm_generic_payload& payload, tlm::tlm_command command,
                    std::uint64_t address, unsigned char* data, std::uint64_t bytes) {
  payload.set_command(command);
  payload.set_address(address);
  payload.set_data_ptr(data);
  payload.set_data_length(static_cast<unsigned>(bytes));
  payload.set_streaming_width(static_cast<unsigned>(bytes));
  payload.set_byte_enable_ptr(nullptr);
  payload.set_dmi_allowed(false);
  payload.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

}  // namespace tessera::sim
