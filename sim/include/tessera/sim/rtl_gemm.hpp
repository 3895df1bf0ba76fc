#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "tessera/hls/abft.hpp"
#include "tessera/hls/array_config.hpp"
#include "tessera/hls/hardware_config.hpp"

namespace tessera::sim {

// Which clock cycles of a device's run its waveform keeps: [start_cycle, stop_cycle),
// counted from the device's time zero.
struct WaveformWindow {
  std::uint64_t start_cycle = 0;
  std::uint64_t stop_cycle = std::numeric_limits<std::uint64_t>::max();
};

// How the test bench drives the Verilated GEMM engine's streams.
struct RtlStreamOptions {
  double operand_valid_rate = 1.0;  // chance per cycle that an operand stream offers a word
  double result_ready_rate = 1.0;   // chance per cycle that the result stream accepts a row
  std::uint32_t seed = 1;
  bool preload_operands = false;  // stream the operands in first, then compute from the buffers
  std::string fst_path;           // non-empty: dump an FST waveform of the whole run
  double clock_mhz = 300;         // the waveform's clock: its times are in picoseconds
  // The waveform keeps device clock cycles [start, stop) of the device's timeline.
  WaveformWindow fst_window;
  // Where the job starts on the device's timeline (a platform's simulated time); a
  // bare engine's jobs follow each other from time zero.
  std::uint64_t start_ps = 0;
  // Non-null: this fault strikes the engine's state during a matrix GEMM that fits
  // one engine job (the tile, step and word as hls::EngineFault numbers them).
  const hls::EngineFault* fault = nullptr;
};

struct RtlGemmResult {
  std::vector<std::int32_t> c;         // M x N, row-major
  std::uint64_t cycles = 0;            // the engine's CYCLES of every job (start to done)
  std::uint64_t simulated_cycles = 0;  // every clock the call simulated (preloading too)
  std::uint64_t compute_cycles = 0;    // from the first beat of each job to its done
  std::uint64_t stall_cycles = 0;      // compute cycles lost to result back-pressure
  std::uint64_t load_wait_cycles = 0;
  int jobs = 0;  // engine jobs the GEMM was split into (operand buffers are finite)
  // An engine with checksums: the output tiles that failed them (matrix GEMMs; tiles
  // in the order of the GEMM's tile grid, row tile outer).
  hls::ChecksumReport checks;
};

// The Verilated int8 GEMM engine (rtl/gemm) behind a C++ driver: tiles and packs
// operands, splits a GEMM into jobs that fit the operand buffers, runs the clock and
// unpacks the result. One object holds one simulated engine; it is not thread-safe.
class RtlGemm {
 public:
  virtual ~RtlGemm() = default;
  virtual hls::ArrayShape array() const = 0;
  virtual int buffer_words() const = 0;  // depth of each operand buffer
  virtual bool checksums() const = 0;    // checks every matrix tile (CHECKSUMS = 1)
  // C = A * W^T, A is M x K, W is N x K. Throws std::invalid_argument for sizes the
  // engine cannot take (K beyond the operand buffers) and std::runtime_error if the
  // engine reports an error or stops making progress.
  virtual RtlGemmResult gemm(const std::int8_t* a, const std::int8_t* w, int m, int n, int k,
                             const RtlStreamOptions& options) = 0;
  // c[n] = sum_k a[k] * w[n][k] as one vector-mode (GEMV) job: A packed into the A
  // buffer, W streamed one K step of ROWS row tiles per beat. K must be at least
  // ROWS. With preload_operands, A is already in the buffer.
  virtual RtlGemmResult gemv(const std::int8_t* a, const std::int8_t* w, int n, int k,
                             const RtlStreamOptions& options) = 0;
  // Runs `cycles` clocks of a job and then asserts reset, as a test of recovery.
  virtual void start_then_reset(const std::int8_t* a, const std::int8_t* w, int m, int n, int k,
                                int cycles) = 0;
};

// Arrays with a co-verified Verilated engine in this build (TESSERA_RTL_BUFFER_WORDS-
// word buffers); the boards' engines have their own buffer depths besides.
std::vector<hls::ArrayShape> rtl_arrays();
// An engine of this array with `buffer_words`-word operand buffers (0: any depth),
// with or without checksums.
bool has_rtl_engine(hls::ArrayShape array, int buffer_words = 0, bool checksums = false);
// The engine of that array, depth (0: the co-verified engine, else the deepest) and
// checksums. Throws std::invalid_argument, listing the build's engines, when there is
// none.
std::unique_ptr<RtlGemm> make_rtl_gemm(hls::ArrayShape array, int buffer_words = 0,
                                       bool checksums = false);

}  // namespace tessera::sim
