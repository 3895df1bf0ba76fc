#pragma once

// Faults a platform can be made to suffer (docs/reliability.md): one at a time, armed
// before a run and struck when its event comes. Where exactly it lands (which tile,
// PE, bit, byte) is drawn from its seed when it strikes, so the same spec on the same
// work strikes the same state.

#include <cstdint>
#include <string>
#include <vector>

#include "tessera/hls/abft.hpp"

namespace tessera::sim {

enum class FaultSite {
  kAccumulator,    // a PE accumulator of a GEMM engine (checksum PEs included)
  kOperandBuffer,  // a byte of a GEMM engine's operand buffers
  kResultFifo,     // a result word between a GEMM engine's array and memory
  kDeviceMemory,   // a byte of allocated device memory
  kHostLink,       // a byte of a transfer over the host link
  kAttention,      // an output accumulator lane of an attention unit, as its job ends
  kHostGlue,       // an fp32 value a host op of the runtime produces (never on the device)
};

struct FaultSiteInfo {
  FaultSite site;
  const char* name;     // as the CLI and JSON spell it
  const char* meaning;  // for --help and docs
  bool in_engine;       // inside the GEMM engine, where its checksums reach
  bool on_host;         // in the host runtime: the device never sees it, the runtime strikes it
};
const std::vector<FaultSiteInfo>& fault_sites();
const FaultSiteInfo& info(FaultSite site);
std::string to_string(FaultSite site);
// Throws std::invalid_argument listing the sites.
FaultSite parse_fault_site(const std::string& name);

std::string to_string(hls::BitFault kind);
hls::BitFault parse_bit_fault(const std::string& name);  // "flip", "stuck0", "stuck1"

struct FaultSpec {
  FaultSite site = FaultSite::kAccumulator;
  hls::BitFault kind = hls::BitFault::kFlip;
  // Which occurrence, counted from arming: engine sites strike the Nth GEMM engine
  // job (any unit), device memory is struck just before the Nth command starts, the
  // host link during the Nth host transfer, attention as the Nth attention job (one
  // query head over the K/V records, any unit) ends.
  std::uint64_t event = 0;
  std::uint64_t seed = 0;  // draws where
};

// What an armed fault did.
struct FaultRecord {
  FaultSpec spec;
  bool struck = false;        // its event came (a run may end before it)
  double seconds = 0;         // simulated time it struck
  std::string where;          // "gemm0 job 3 tile 5 step 17 PE(2,7) bit 12", ...
  hls::EngineFault engine;    // engine sites: the state struck
  std::uint64_t address = 0;  // device memory: the byte; host link: the transfer's device address
  int bit = 0;
  // Events of the site's kind seen while it was armed: arming a fault whose event
  // never comes counts a workload's events.
  std::uint64_t events = 0;
};
// One JSON object: site, kind, event, seed, struck, time_s, where, events.
std::string to_json(const FaultRecord& record);

}  // namespace tessera::sim
