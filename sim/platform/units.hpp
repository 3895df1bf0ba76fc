#pragma once

#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <systemc>
#include <tlm>
#include <vector>

#include "platform/compute_backends.hpp"
#include "platform/fault_injector.hpp"
#include "tessera/sim/platform.hpp"

namespace tessera::sim {

// What a unit reports when a job ends: empty `error` for success; `checksum` when the
// error is output tiles failing their checksums (the results were written).
using JobDone = std::function<void(int unit, const std::string& error, bool checksum)>;

// A compute unit of the platform: the register block of docs/rtl.md as a TLM
// target, a DMA engine on the memory, and an engine behind a backend (fidelity).
// Writing START runs one job; the unit then reports through JobDone.
class Unit : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<Unit> registers;
  tlm_utils::simple_initiator_socket<Unit> memory;

  SC_HAS_PROCESS(Unit);
  Unit(sc_core::sc_module_name name, int index, const hls::HardwareConfig& config,
       const PlatformOptions& options);

  int index() const { return index_; }
  // Busy from the moment the command processor starts it (START is seen by the
  // unit's thread one delta later) until it reports the job done.
  bool busy() const { return busy_; }
  void mark_started() { busy_ = true; }
  void set_job_done(JobDone done) { job_done_ = std::move(done); }
  const UnitCounters& counters() const { return counters_; }
  void reset_counters();

 protected:
  struct JobResult {
    JobResult(std::string error_text, std::uint64_t cycles, hls::ChecksumReport report = {})
        : error(std::move(error_text)), compute_cycles(cycles), checks(report) {}
    std::string error;
    std::uint64_t compute_cycles = 0;
    hls::ChecksumReport checks;
  };
  std::uint32_t reg(std::uint8_t offset) const { return registers_[offset / 4]; }
  std::uint64_t address(std::uint8_t lo, std::uint8_t hi) const {
    return (static_cast<std::uint64_t>(reg(hi)) << 32) | reg(lo);
  }
  void set_reg(std::uint8_t offset, std::uint32_t value) { registers_[offset / 4] = value; }
  void set_reg64(std::uint8_t lo, std::uint8_t hi, std::uint64_t value);
  // Moves bytes between device memory and `data` (null: timing only), keeping a
  // window of bursts in flight; waits for the transfer and returns false on an
  // address error.
  bool dma(std::uint64_t address, std::uint8_t* data, std::uint64_t bytes, bool write);
  // A vector job's tiled W as the top's gather reads it (docs/rtl.md "GEMM engine"):
  // for each vector tile of `rows` row tiles, dma::kVectorBurstBeats K steps of each
  // row tile per burst, row tile after row tile, at most the gather FIFO's entries
  // in flight (dma::kGatherGroups groups of words a word a beat). On a four-word port
  // each burst may be one beat of the whole bus (`beat_bytes`), else a word a beat.
  struct VectorGather {
    int k = 0;
    int row_tiles = 0;
    int rows = 0;        // row tiles per vector tile
    int word_bytes = 0;  // a tiled W word: a row tile's `cols` bytes
    int beat_bytes = 0;  // the port's beats: word_bytes or the whole bus
  };
  // A region a job reads in place: `data` points at its bytes in device memory
  // (TLM-2.0 DMI) once read, null in timing-only runs; `arrived` is when its last
  // burst completed.
  struct InPlaceRead {
    InPlaceRead(std::uint64_t at, std::uint64_t size) : address(at), bytes(size) {}
    std::uint64_t address;
    std::uint64_t bytes;
    const std::uint8_t* data = nullptr;
    sc_core::sc_time arrived;
    std::optional<VectorGather> gather;  // unset: one contiguous region
  };
  // Reads the regions by DMA one after the other through the same window of bursts,
  // a region's first burst issuing behind the last one's (as the RTL top's burst
  // splitter takes the next region), and waits for all of them. Returns the index of
  // the first region outside device memory, or `count` when all were read.
  std::size_t read_in_place(InPlaceRead* regions, std::size_t count);
  // A buffer for a job's results (null in timing-only runs).
  std::uint8_t* results(std::size_t bytes);
  // Device memory's bytes from address 0 (TLM-2.0 DMI); null in timing-only runs.
  std::uint8_t* memory_data();
  sc_core::sc_time period() const { return period_; }
  void wait_cycles(std::uint64_t cycles);
  // Waits until `cycles` after `start` (nothing if that has passed).
  void wait_cycles_since(const sc_core::sc_time& start, std::uint64_t cycles);

  UnitCounters counters_;
  std::vector<std::uint8_t> results_;  // a job's results before they are written back

 private:
  // Which START bit and STATUS register this unit answers to.
  virtual std::uint8_t ctrl_offset() const = 0;
  virtual std::uint8_t status_offset() const = 0;
  virtual std::uint8_t cycles_offset() const = 0;
  virtual JobResult run_job() = 0;

  void register_access(tlm::tlm_generic_payload& payload, sc_core::sc_time& delay);
  void thread();
  // Adds the time since `began`, a DMA transfer's, to the memory cycles.
  void count_memory_time(const sc_core::sc_time& began);
  // The bursts of DMA transfers issued back to back: each keeps the window and the
  // port's clock where the one before it left them.
  class BurstStream;

  int index_;
  bool timed_;
  bool stores_data_;
  sc_core::sc_time period_;
  double port_word_bytes_;               // bytes the memory port moves per clock
  sc_core::sc_time memory_latency_;      // the memory's, after a burst's last word
  std::uint8_t* memory_data_ = nullptr;  // DMI pointer to address 0, once asked
  tlm::tlm_generic_payload payload_;     // reused by every DMA burst
  std::array<std::uint32_t, 64> registers_{};
  sc_core::sc_event start_;
  bool busy_ = false;
  JobDone job_done_;
};

// The array MACs a GEMM job runs (tile padding included): a matrix job's m_tiles x
// n_tiles output tiles, or a vector job's vector tiles of `rows` row tiles each.
std::uint64_t job_macs(hls::ArrayShape array, bool vector, int m_tiles, int n_tiles, int k);

// What the fault injector needs to know of a GEMM job about to start on `unit`.
FaultInjector::EngineJob engine_job(const std::string& unit, const hls::HardwareConfig& config,
                                    bool vector, int m_tiles, int n_tiles, int k);

class GemmUnit final : public Unit {
 public:
  // `faults`: the platform's injector, which may strike the engine's jobs.
  GemmUnit(sc_core::sc_module_name name, int index, const hls::HardwareConfig& config,
           const PlatformOptions& options, std::unique_ptr<GemmBackend> backend,
           FaultInjector& faults);

 private:
  std::uint8_t ctrl_offset() const override;
  std::uint8_t status_offset() const override;
  std::uint8_t cycles_offset() const override;
  JobResult run_job() override;
  JobResult run_vector_job();
  // Cycles from a vector job's last W word to the gather's last beat.
  std::uint64_t gather_lag(int n_tiles, int k, bool whole_bus_beats) const;
  // Whether a vector job's W comes in whole-bus beats (the RTL top's rule).
  bool whole_bus_beats(std::uint64_t w_address, int k) const;
  // The fault (if any) and the checksum report of a job about to run.
  GemmBackend::Observed observe(bool vector, int m_tiles, int n_tiles, int k,
                                hls::ChecksumReport& checks);

  hls::HardwareConfig config_;
  hls::ArrayShape array_;
  int buffer_words_;
  int memory_port_bytes_;
  bool checksums_;
  std::unique_ptr<GemmBackend> backend_;
  FaultInjector& faults_;
};

class AttentionUnit final : public Unit {
 public:
  AttentionUnit(sc_core::sc_module_name name, int index, const hls::HardwareConfig& config,
                const PlatformOptions& options, std::unique_ptr<AttentionBackend> backend,
                FaultInjector& faults);

 private:
  std::uint8_t ctrl_offset() const override;
  std::uint8_t status_offset() const override;
  std::uint8_t cycles_offset() const override;
  JobResult run_job() override;

  hls::HardwareConfig config_;
  int context_max_;
  std::unique_ptr<AttentionBackend> backend_;
  FaultInjector& faults_;
};

}  // namespace tessera::sim
