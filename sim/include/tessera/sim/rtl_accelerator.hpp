#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tessera/hls/abft.hpp"
#include "tessera/hls/array_config.hpp"
#include "tessera/hls/attention_i8.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/sim/axi_bursts.hpp"
#include "tessera/sim/device_abi.hpp"
#include "tessera/sim/rtl_gemm.hpp"

namespace tessera::sim {

struct MemoryModel {
  int read_latency = 4;           // cycles from request to response
  double read_ready_rate = 1.0;   // chance per cycle that a read request is accepted
  double write_ready_rate = 1.0;  // chance per cycle that a write is accepted
  std::uint32_t seed = 1;
  // Where the driver puts a job's first operand (the rest follow): above 4 GiB, or
  // across the boundary, to exercise the 64-bit addresses.
  std::uint64_t operand_address = 0x1000;
  // Whether each region (A, W, results; an attention job's records) starts on a
  // multiple of the data bus, as the ICD's buffers do, or right behind the one before
  // (word-aligned only: a wide top reads a vector job's W a word a beat then).
  bool bus_aligned_regions = true;
};

struct AcceleratorRun {
  std::vector<std::int32_t> c;  // M x N
  std::uint64_t cycles = 0;     // CYCLES register: start to done
  std::uint64_t stall_cycles = 0;
  std::uint64_t load_wait_cycles = 0;
  hls::ChecksumReport checks;  // CHECKSUM_FAILS and CHECKSUM_TILE
};

// What answers the top's AXI4 memory port (docs/rtl.md, "Memory port"), asked once per
// clock: a memory model of the tests, or the platform's bridge to its device memory.
// Responses come in order; the top always takes R beats and B responses. Beats are
// `beat_bytes` (ARSIZE/AWSIZE: a word or the whole data bus) on the bus's lanes that
// their address selects (DataBus).
class TopMemoryPort {
 public:
  virtual ~TopMemoryPort() = default;
  // Before the clock edge: the R beat due this cycle (the oldest read's next beat, the
  // whole data bus), else null; whether a B response (the oldest unanswered write
  // burst's) is due; and whether AR, AW and W handshakes made this cycle are accepted.
  virtual const std::uint8_t* read_data() = 0;
  virtual bool write_response() = 0;
  virtual bool read_ready() = 0;
  virtual bool write_address_ready() = 0;
  virtual bool write_ready() = 0;
  // At the edge, what the port accepted: a read burst of `beats` beats at `address`
  // (AR), a write burst's address (AW), a write beat (W: the data bus, WSTRB one bit a
  // byte, `last` is WLAST).
  virtual void read(std::uint64_t address, int beats, std::size_t beat_bytes) = 0;
  virtual void write_address(std::uint64_t address, int beats, std::size_t beat_bytes) = 0;
  virtual void write(const std::uint8_t* data, std::uint64_t strobe, bool last) = 0;
  // After the edge: one cycle has passed.
  virtual void clocked() = 0;
};

// A port whose write bursts land whole: it pairs each AW with its W beats and hands
// land() every burst once its address and last beat have both come, in order.
class BurstLandingPort : public TopMemoryPort {
 public:
  explicit BurstLandingPort(DataBus bus) : writes_(bus) {}
  void write_address(std::uint64_t address, int beats, std::size_t beat_bytes) final {
    writes_.address(address, beats, beat_bytes);
    land_complete();
  }
  void write(const std::uint8_t* data, std::uint64_t strobe, bool last) final {
    writes_.data(data, strobe, last);
    land_complete();
  }

 protected:
  virtual void land(std::uint64_t address, std::vector<std::uint8_t>& bytes) = 0;

 private:
  void land_complete() {
    std::uint64_t address = 0;
    while (writes_.complete(&address, &burst_)) land(address, burst_);
  }
  WriteBurstPairing writes_;
  std::vector<std::uint8_t> burst_;
};

// The Verilated accelerator top with a device memory model and a host driver that
// uses only the register map: it packs tiled operands into device memory, programs
// the registers, waits for STATUS.DONE and unpacks the results.
class RtlAccelerator {
 public:
  virtual ~RtlAccelerator() = default;
  virtual hls::ArrayShape array() const = 0;
  int word_bytes() const { return array().rows; }  // one memory word: ROWS bytes
  virtual int bus_bytes() const = 0;               // the memory port's data bus
  virtual std::uint32_t read_register(std::uint8_t offset) = 0;
  virtual void write_register(std::uint8_t offset, std::uint32_t value) = 0;
  // A 64-bit counter from its LO and HI registers.
  std::uint64_t read_register64(std::uint8_t low, std::uint8_t high) {
    return (static_cast<std::uint64_t>(read_register(high)) << 32) | read_register(low);
  }
  virtual AcceleratorRun gemm(const std::int8_t* a, const std::int8_t* w, int m, int n, int k,
                              const MemoryModel& memory) = 0;
  // A vector job (CTRL.VECTOR): c = W a for one K-byte a; needs K >= the array's rows.
  virtual AcceleratorRun gemv(const std::int8_t* a, const std::int8_t* w, int n, int k,
                              const MemoryModel& memory) = 0;
  // Runs an attention call one (query, GQA group) job at a time through the ATT_*
  // registers (ATT_GROUP the group's heads) and the record layouts of docs/rtl.md;
  // returns the jobs' cycles.
  virtual std::uint64_t attention(const hls::AttentionArgs& args, const MemoryModel& memory) = 0;
  virtual int head_size_max() const = 0;
  // For register-level tests: the host writing device memory between jobs, and the
  // clock running with the memory model answering the top's ports.
  virtual void write_memory(std::uint64_t address, const std::vector<std::uint8_t>& bytes) = 0;
  virtual void run(int cycles) = 0;
  // Who answers the memory port from now on: `port`, or (null) the driver's own memory
  // model, which gemm, gemv, attention and write_memory need.
  virtual void attach_memory(TopMemoryPort* port) = 0;
  // From now on an FST waveform of the clocks that follow, as `waveform` says (its
  // path, window, clock and start time; an empty path: none).
  virtual void begin_waveform(const RtlStreamOptions& waveform) = 0;
  // The interrupt output: STATUS.DONE or ATT_STATUS.DONE, as of the last clock.
  virtual bool interrupt() const = 0;
  // The fault the engine's hooks strike in the coming GEMM jobs (simulation only), with
  // the tiles numbered in each job's order; none when null.
  virtual void arm_fault(const hls::EngineFault* fault) = 0;
};

// A Verilated top of this build: its sizes (the -G values the build passed) and factory.
struct RtlTopSizes {
  int rows = 0;  // == COLS
  int buffer_words = 0;
  bool checksums = false;
  int head_size_max = 0;
  int context_max = 0;
  int memory_port_bytes = 0;
  bool operator==(const RtlTopSizes& o) const {
    return rows == o.rows && buffer_words == o.buffer_words && checksums == o.checksums &&
           head_size_max == o.head_size_max && context_max == o.context_max &&
           memory_port_bytes == o.memory_port_bytes;
  }
  // Verilog parameters by name, as Verilator took them.
  std::vector<std::pair<std::string, int>> parameters() const;
};
// The sizes of `config`'s device: its GEMM unit's array, buffer depth and checksums,
// its attention unit's lanes and positions.
RtlTopSizes rtl_top_sizes(const hls::HardwareConfig& config);

// The co-verification's top: 8x8 with checksums, 16 attention lanes, 1,024 positions.
std::unique_ptr<RtlAccelerator> make_rtl_accelerator();
// The top of `config`'s sizes, the device the rtl fidelity runs. Throws
// std::invalid_argument with rtl_unavailable_reason's text when the build has none.
std::unique_ptr<RtlAccelerator> make_rtl_accelerator(const hls::HardwareConfig& config);
// Why the rtl fidelity cannot run `config` in this build (no top of its sizes), or "".
std::string rtl_unavailable_reason(const hls::HardwareConfig& config);

// A Verilated top module the rtl fidelity runs, with the parameter values it was
// built with (the -G values the build passed to Verilator).
struct RtlDesign {
  std::string module;
  std::vector<std::pair<std::string, int>> parameters;
};
// What the rtl fidelity runs for `config`: the accelerator top of its sizes. Throws
// std::invalid_argument as make_rtl_accelerator does.
std::vector<RtlDesign> rtl_fidelity_designs(const hls::HardwareConfig& config);

}  // namespace tessera::sim
