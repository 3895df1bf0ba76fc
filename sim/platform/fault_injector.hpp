#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tessera/hls/abft.hpp"
#include "tessera/sim/faults.hpp"

namespace tessera::sim {

// Holds the platform's armed fault and strikes it when its event comes: the units,
// the command processor and the host transfers report their events here and get
// back what to corrupt (nothing, almost always).
class FaultInjector {
 public:
  void arm(const FaultSpec& spec);
  // The armed fault's record (struck or not), and disarms it.
  std::optional<FaultRecord> take();
  // The armed fault's record so far; nullopt when none is armed.
  std::optional<FaultRecord> record() const;

  // A GEMM engine job starts on `unit`: the engine state to strike, or null.
  // `period`: cycles per output tile (matrix jobs), for the record's time.
  struct EngineJob {
    std::string unit;
    hls::ArrayShape array;
    bool vector = false;
    int m_tiles = 0, n_tiles = 0, k = 0;  // vector jobs: n_tiles W row tiles
    bool checksums = false;
    double seconds = 0;
    double clock_mhz = 0;
    std::uint64_t period = 0;
  };
  const hls::EngineFault* engine_job(const EngineJob& job);
  // Command `id` is about to start; `allocated`: the allocations as (address, bytes).
  void command_starts(std::uint64_t id, double seconds,
                      const std::vector<std::pair<std::uint64_t, std::uint64_t>>& allocated,
                      std::uint8_t* memory);
  // A host transfer of `bytes` at device `address` has moved its data into `data`
  // (device memory for writes, the host buffer for reads).
  void host_transfer(std::uint64_t address, std::uint8_t* data, std::uint64_t bytes, bool to_device,
                     double seconds);
  // An attention job on `unit` has written its result record and is about to send
  // it: strikes a bit of one of its `lanes` int32 accumulators (little-endian, from
  // `accumulators`), or nothing.
  void attention_job(const std::string& unit, int lanes, std::uint8_t* accumulators,
                     double seconds);

 private:
  // What a site's `event` counts.
  enum class Event { kEngineJob, kCommand, kTransfer, kAttentionJob };
  static Event event_of(FaultSite site);
  bool due(Event event, std::uint64_t& counter);
  std::uint64_t draw(std::uint64_t n) { return n == 0 ? 0 : rng_() % n; }

  std::optional<FaultSpec> armed_;
  FaultRecord record_;
  std::mt19937_64 rng_;
  std::uint64_t engine_jobs_ = 0, commands_ = 0, transfers_ = 0, attention_jobs_ = 0;
  hls::EngineFault engine_;
};

}  // namespace tessera::sim
