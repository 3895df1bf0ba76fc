#pragma once

#include <cstdint>

#include "tessera/hls/array_config.hpp"

namespace tessera::sim {

// Cycle model of the RTL GEMM engine (rtl/gemm, docs/rtl.md "Timing"), the timing
// of the tlm fidelity. A GEMM runs as jobs of as many row and column tiles as the
// operand buffers hold (the split the drivers use). Per job:
//   load    = words of the longer operand stream / words per cycle (0 when preloaded)
//   compute = tiles * max(K, COLS + 1) + ROWS + COLS + 2
//   total   = load + compute + 1 (+1 when preloaded: the job still passes LOAD)
// tests/rtl holds it to the Verilated engine.
//
// With checksums (gemm_units.checksums, docs/reliability.md) the array is
// (ROWS + 1) x (COLS + 1) PEs and a checker compares each tile's sums after the
// output FIFO; the cost, which tests/rtl holds to the Verilated engine:
//   compute = tiles * max(K, COLS + 2) + ROWS + COLS + 5
struct GemmTiming {
  std::uint64_t load_cycles = 0;
  std::uint64_t compute_cycles = 0;
  std::uint64_t total_cycles = 0;
  int jobs = 0;
  std::uint64_t operand_bytes = 0;  // bytes of A and W words the jobs load
  std::uint64_t result_bytes = 0;   // bytes of result rows the jobs emit (tiles padded)
};

// operand_words_per_cycle: rate at which each operand stream delivers words (1 when
// the buffers are fed at full speed).
GemmTiming gemm_timing(hls::ArrayShape array, int buffer_words, int m, int n, int k, bool preloaded,
                       double operand_words_per_cycle = 1.0, bool checksums = false);

// Cycles between the starts of consecutive output tiles of a matrix job.
std::uint64_t gemm_tile_period(hls::ArrayShape array, int k, bool checksums);

// A vector-mode (GEMV) job: N outputs in vector tiles of ROWS * COLS, K >= ROWS.
//   load    = ceil(K / ROWS) A words / words per cycle (0 when preloaded)
//   compute = tiles * K + ROWS + 3   (W beats arrive one per cycle)
//   total   = load + compute + 1 (+1 when preloaded)
// tests/rtl holds it to the Verilated engine. With checksums, one checksum PE runs
// T = ceil(log2(ROWS * COLS)) cycles behind the array (its adder tree over each W
// beat), and the checker compares when the last tile's results and checksum are in:
//   compute = tiles * K + ROWS + 3 + max(2, T - ROWS + 1)
GemmTiming gemv_timing(hls::ArrayShape array, int n, int k, bool preloaded,
                       double a_words_per_cycle = 1.0, bool checksums = false);

}  // namespace tessera::sim
