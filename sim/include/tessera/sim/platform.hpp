#pragma once

// The SystemC/TLM-2.0 virtual platform of the accelerator (docs/platform.md): device
// memory with channels, bandwidth and latency; a host link; a command queue; GEMM
// and attention units with DMA, each at one fidelity. This header keeps SystemC out
// of its users: the platform lives behind a pointer and owns its own simulation
// context, so several platforms can live in one process (each on its own clock).

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tessera/hls/hardware_config.hpp"
#include "tessera/sim/faults.hpp"
#include "tessera/sim/rtl_gemm.hpp"

namespace tessera::sim {

// How a compute unit is simulated.
enum class Fidelity {
  kFunc,  // the HLS C model; no simulated time anywhere
  kTlm,   // the HLS C model timed by the cycle models, memory and link timed
  kRtl,   // the Verilated RTL, cycle-accurate, memory and link timed as in tlm
};
std::string to_string(Fidelity fidelity);
// "func", "tlm" or "rtl"; throws std::invalid_argument listing them otherwise.
Fidelity parse_fidelity(const std::string& name);

struct PlatformOptions {
  Fidelity fidelity = Fidelity::kTlm;
  // false: timing only (tlm): device memory keeps no data and units skip the
  // arithmetic. tlm timing does not depend on values, so the times are the same.
  bool compute = true;
  // rtl: the GEMM engines' waveform of the platform's run (waveform_files), its
  // times the platform's simulated time, closed with the platform or the process.
  std::string fst_path;
  WaveformWindow fst_window;
};

// The FST files an rtl platform with `gemm_units` GEMM units writes for fst_path:
// fst_path itself for unit 0, NAME.gemmI.EXT beside it for unit I.
std::vector<std::string> waveform_files(const std::string& fst_path, int gemm_units);
// "START:STOP" in clock cycles, either end may be left out ("1000:" keeps from cycle
// 1,000 on); throws std::invalid_argument naming what is wrong.
WaveformWindow parse_waveform_window(const std::string& text);

// A command the device refused or failed (the message says which unit and why).
class DeviceError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// GEMM jobs whose output tiles failed their checksums (gemm_units.checksums): the
// device ran them and wrote their results, and reported them wrong. Nothing else
// failed in the run that threw it. `commands`: their numbers (Platform::enqueue).
class ChecksumError : public DeviceError {
 public:
  ChecksumError(const std::string& what, std::vector<std::uint64_t> commands)
      : DeviceError(what), commands_(std::move(commands)) {}
  const std::vector<std::uint64_t>& commands() const { return commands_; }

 private:
  std::vector<std::uint64_t> commands_;
};

// One GEMM engine job (docs/rtl.md): tiled A (m_tiles * K words of ROWS bytes) at
// `a`, tiled W at `w`, results in engine order at `c`. It must fit the unit's
// operand buffers: m_tiles * K and n_tiles * K words at most.
// With `vector` set, a vector-mode (GEMV) job: packed A at `a` (one row, K bytes),
// W row tiles [0, n_tiles) streamed from memory while the engine computes, the
// n_tiles * COLS outputs in order at `c`; m_tiles is ignored and K must be at
// least ROWS and fit the A buffer as ceil(K / ROWS) words.
struct GemmCommand {
  std::uint64_t a = 0, w = 0, c = 0;
  int m_tiles = 0, n_tiles = 0, k = 0;
  bool vector = false;
};

// One attention job: `group` query heads that share one kv head, over `positions`
// key/value records read once for all of them; their query and result records are
// consecutive at `query` and `out`.
struct AttentionCommand {
  std::uint64_t query = 0, kv = 0, out = 0;
  int positions = 0;
  int head_size = 0;  // lanes per record (ATT_HEAD_SIZE); 0: the unit's head_size_max
  int group = 1;      // query heads (ATT_GROUP)
};

struct UnitCounters {
  std::string name;  // "gemm0", "attention3", ...
  std::uint64_t jobs = 0;
  std::uint64_t busy_cycles = 0;        // start to done
  std::uint64_t compute_cycles = 0;     // the engine's own cycles
  std::uint64_t memory_cycles = 0;      // waiting for operand reads and result writes
  std::uint64_t macs = 0;               // array MACs (tile padding included)
  std::uint64_t checksum_failures = 0;  // jobs whose output tiles failed their checksums
  std::uint64_t bytes_read = 0, bytes_written = 0;
};

struct PlatformCounters {
  std::string preset;
  std::string fidelity;
  double clock_mhz = 0;
  double simulated_seconds = 0;  // simulated time since the counters were reset
  std::vector<UnitCounters> units;
  std::uint64_t memory_bytes_read = 0, memory_bytes_written = 0;
  double memory_bandwidth_gbps = 0;   // achieved: bytes moved / simulated time
  double memory_achievable_gbps = 0;  // the memory's best: sim::achievable_memory_gbps
  std::uint64_t host_bytes_to_device = 0, host_bytes_from_device = 0;
  double host_link_busy_seconds = 0;  // bytes at the link's rate plus one latency each
  std::uint64_t commands = 0;
};
std::string to_json(const PlatformCounters& counters, int indent = 2);

class Platform {
 public:
  // Throws hls::ConfigError for configurations the platform cannot build and
  // std::invalid_argument for a fidelity the build lacks (rtl of an array without a
  // Verilated engine).
  Platform(const hls::HardwareConfig& config, const PlatformOptions& options);
  ~Platform();
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  const hls::HardwareConfig& config() const;
  const PlatformOptions& options() const;

  // Device memory (first fit, kAllocationAlignment aligned). Throws DeviceError when full.
  static constexpr std::uint64_t kAllocationAlignment = 4096;
  std::uint64_t allocate(std::uint64_t bytes);
  void release(std::uint64_t address);

  // Host transfers over the host link, which carries one thing at a time in order.
  // write() is posted: it returns at once (with the simulated time at which its
  // data will have landed), and commands enqueued after it arrive after its data.
  // read() returns when the data has reached the host.
  double write(std::uint64_t address, const void* data, std::uint64_t bytes);
  void read(std::uint64_t address, void* data, std::uint64_t bytes);
  // A read the device pushes to the host once every command enqueued before it has
  // finished (results written back to host memory, with the completion interrupt
  // behind them); `data` is filled by the next run_until_idle().
  void read_when_done(std::uint64_t address, void* data, std::uint64_t bytes);

  // Registers of unit windows (reg::kUnitWindow per unit: GEMM units first, then
  // attention units).
  std::uint32_t read_register(std::uint32_t address);

  // Commands go into the device's command queue and run on the first free unit of
  // their kind; run_until_idle() advances simulated time until all have finished
  // (and every posted write has landed) and throws DeviceError naming the first
  // command a unit refused, or, when nothing else failed, ChecksumError listing the
  // jobs that failed their checksums.
  // Each returns the command's number (0, 1, ... in enqueue order).
  std::uint64_t enqueue(const GemmCommand& command);
  std::uint64_t enqueue(const AttentionCommand& command);
  void run_until_idle();
  // Advances simulated time until every posted write has landed (no commands run).
  void wait_for_writes();
  // Simulated seconds at which command `id` started on a unit and finished, once
  // run_until_idle() has returned, for commands enqueued while keep_command_times
  // is on (off by default); both 0 otherwise, or for a command not finished or
  // forgotten.
  void keep_command_times(bool keep);
  struct CommandTimes {
    double start_seconds = 0, end_seconds = 0;
  };
  CommandTimes command_times(std::uint64_t id) const;
  // Drops the times of the commands numbered below `id`.
  void forget_command_times(std::uint64_t id);
  // The number the next command will get.
  std::uint64_t next_command() const;

  // Arms one fault (docs/reliability.md), replacing any armed one; it strikes when
  // its event comes. Throws std::invalid_argument on a timing-only platform (no
  // state to corrupt) and for engine sites at rtl (the Verilated engine has no
  // fault hooks yet).
  void arm_fault(const FaultSpec& spec);
  // What the armed fault did, and disarms it; nullopt when none was armed.
  std::optional<FaultRecord> take_fault();
  // What the armed fault has done so far, still armed; nullopt when none is.
  std::optional<FaultRecord> armed_fault() const;

  double now_seconds() const;  // simulated time of the platform
  std::uint64_t now_cycles() const;
  PlatformCounters counters() const;
  void reset_counters();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tessera::sim
