#pragma once

// Algorithm-based fault tolerance of the GEMM engine (Huang and Abraham, IEEE Trans.
// Computers C-33(6), 1984; docs/reliability.md). For an output tile C = A W^T the
// engine also computes, alongside the product,
//   row checksums    R[r] = sum_k A[r][k] * (sum_c W[c][k])   (an extra column of PEs)
//   column checksums S[c] = sum_k (sum_r A[r][k]) * W[c][k]   (an extra row of PEs)
// from operand sums taken when the operands enter the buffers, and the checker on the
// result path (after the output FIFO) compares them with the sums of the tile's
// results. Everything is modulo 2^32, as the int32 accumulators wrap, so the check
// is exact: one wrong accumulator, operand-buffer byte or result word changes a row
// or column sum by a nonzero amount and is caught; nothing correct is ever flagged
// (a struck checksum PE flags correct results, which re-execution then confirms).
//
// The fault descriptions here are what the C models (gemm_i8) and the RTL inject:
// the engine's own state, named by where it sits and when in the job it is struck.

#include <cstdint>

#include "tessera/hls/array_config.hpp"

namespace tessera::hls {

enum class EngineSite {
  kAccumulator,    // a PE's int32 accumulator (the checksum PEs included)
  kOperandBuffer,  // a byte of an A or W operand-buffer word
  kResultFifo,     // a result word on its way from the array to memory
};

enum class BitFault {
  kFlip,      // a single-event upset: the bit inverts once
  kStuckAt0,  // the bit reads 0 from then on (for the rest of the tile or job)
  kStuckAt1,
};

enum class OperandBuffer { kA, kW };

struct EngineFault {
  EngineSite site = EngineSite::kAccumulator;
  BitFault kind = BitFault::kFlip;
  int bit = 0;  // 0..31 in an accumulator or result word, 0..7 in an operand byte
  // When: during output tile `tile` of the job (row tile outer, as the engine runs
  // them), after `step` of its K multiply-accumulates (0..K). A flip at step 0 hits
  // the accumulator before the tile's first MAC restarts it, so it is masked.
  int tile = 0;
  int step = 0;
  // Accumulator: PE (row, col); row == ROWS is the checksum row, col == COLS the
  // checksum column. Result FIFO: the tile's output (row, col).
  int row = 0, col = 0;
  // Operand buffer: `buffer`, word address `word` (operand tile * K + k), byte `lane`.
  OperandBuffer buffer = OperandBuffer::kA;
  int word = 0;
  int lane = 0;
};

// Whether `f` names state that an engine of `array` has during a matrix job of
// m_tiles x n_tiles tiles over K (the checksum PEs only with checksums on).
bool fault_fits(const EngineFault& f, ArrayShape array, int m_tiles, int n_tiles, int k,
                bool checksums);

// The same for a vector-mode job of N outputs over K: its tiles are vector tiles of
// ROWS * COLS outputs (PE (row, col) owns output row * COLS + col of each), its one
// checksum PE is (ROWS, 0), and only the A buffer holds operands (word k / ROWS,
// lane k % ROWS): W streams past it. The A buffer feeds the outputs and the checksum
// PE alike, so vector mode catches its faults by a parity bit per byte instead.
bool vector_fault_fits(const EngineFault& f, ArrayShape array, int n, int k, bool checksums);

// What a kernel with checksums on found.
struct ChecksumReport {
  int failing_tiles = 0;
  int first_failing_tile = -1;  // in job order
  void record(int tile) {
    if (failing_tiles++ == 0) first_failing_tile = tile;
  }
};

inline std::uint32_t apply_bit_fault(BitFault kind, std::uint32_t value, int bit) {
  const std::uint32_t mask = std::uint32_t{1} << bit;
  switch (kind) {
    case BitFault::kFlip:
      return value ^ mask;
    case BitFault::kStuckAt0:
      return value & ~mask;
    case BitFault::kStuckAt1:
      return value | mask;
  }
  return value;
}

inline std::int32_t apply_bit_fault(BitFault kind, std::int32_t value, int bit) {
  return static_cast<std::int32_t>(apply_bit_fault(kind, static_cast<std::uint32_t>(value), bit));
}

inline std::int8_t apply_bit_fault(BitFault kind, std::int8_t value, int bit) {
  return static_cast<std::int8_t>(
      apply_bit_fault(kind, static_cast<std::uint32_t>(static_cast<std::uint8_t>(value)), bit));
}

// A multiply-accumulate modulo 2^32, as the 32-bit accumulators compute it.
inline std::uint32_t wrapping_mac(std::uint32_t sum, std::int32_t x, std::int32_t y) {
  return sum + static_cast<std::uint32_t>(x) * static_cast<std::uint32_t>(y);
}

// Checks the int32 results of a matrix job (C = A W^T, row-major M x N, M and N
// whole tiles of `array`) against checksums computed from its row-major operands;
// tiles in the engine's order. What the platform runs when the array's arithmetic
// came from the fast kernel rather than the engine model.
ChecksumReport check_gemm_tiles(ArrayShape array, const std::int8_t* a, const std::int8_t* w, int m,
                                int n, int k, const std::int32_t* c);

// A vector-mode job's check: one checksum per vector tile of ROWS * COLS outputs,
// sum_k a[k] * (sum over the tile's W rows of W[n][k]), against the sum of its
// outputs. `w_tiled`: W as the unit's memory holds it (row tiles of COLS).
ChecksumReport check_gemv_tiles(ArrayShape array, const std::int8_t* a, const std::int8_t* w_tiled,
                                int n, int k, const std::int32_t* c);

// Register levels of the RTL's adder tree that sums a vector beat's ROWS * COLS W
// lanes for the vector checksum PE: ceil(log2(ROWS * COLS)).
inline int vector_checksum_tree_levels(ArrayShape array) {
  int levels = 0;
  while ((1L << levels) < static_cast<long>(array.rows) * array.cols) ++levels;
  return levels;
}

}  // namespace tessera::hls
