#pragma once

#include <cstdint>
#include <memory>

#include "tessera/hls/abft.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/sim/device_abi.hpp"
#include "tessera/sim/platform.hpp"

namespace tessera::sim {

// What a unit's engine does with operands already read from memory: the arithmetic
// (unless the platform runs timing only) and the engine cycles it takes.
class GemmBackend {
 public:
  virtual ~GemmBackend() = default;
  // a_tiled, w_tiled and results may be null (timing only). With `checks` (the config's checksums)
  // the engine checks every output tile and reports there; `fault` strikes the
  // engine's state during the job. Throws DeviceError.
  struct Observed {
    const hls::EngineFault* fault = nullptr;
    hls::ChecksumReport* checks = nullptr;
  };
  virtual std::uint64_t run(const std::uint8_t* a_tiled, const std::uint8_t* w_tiled, int m_tiles,
                            int n_tiles, int k, std::uint8_t* results, Observed observed) = 0;
  // A vector-mode job: packed A, tiled W of n_tiles row tiles, results in order; the
  // cycles assume W arrives one beat per cycle (the unit overlaps it with memory).
  virtual std::uint64_t run_vector(const std::uint8_t* a, const std::uint8_t* w_tiled, int n_tiles,
                                   int k, std::uint8_t* results, Observed observed) = 0;
};

class AttentionBackend {
 public:
  virtual ~AttentionBackend() = default;
  // One job on records laid out as `records` (its head_max lanes: the job's).
  virtual std::uint64_t run(const AttentionRecords& records, const std::uint8_t* query,
                            const std::uint8_t* kv, int positions, std::uint8_t* result) = 0;
};

// The func and tlm fidelities' engines (the rtl fidelity's units are tops: TopUnit).
std::unique_ptr<GemmBackend> make_gemm_backend(const hls::HardwareConfig& config,
                                               const PlatformOptions& options);
std::unique_ptr<AttentionBackend> make_attention_backend(const PlatformOptions& options);

}  // namespace tessera::sim
