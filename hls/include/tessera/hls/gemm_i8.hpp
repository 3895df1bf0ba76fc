#pragma once

// int8 GEMM C = A * W^T on an output-stationary systolic array (C model).
//
// A is M x K activations, W is N x K weights (both row-major int8), C is M x N.
// The array holds ROWS x COLS int32 accumulators, one output each: a tile of C
// stays in the array for the whole K reduction while A rows stream in from the left
// and W rows from the top, so only int8 operands move and every output leaves the
// array once (docs/numerics.md, "GEMM dataflow"). K is fed in chunks of K_TILE
// through on-chip operand buffers; edges are zero-padded, so any M, N, K works.

#include <cstddef>
#include <cstdint>

#include "tessera/hls/abft.hpp"
#include "tessera/hls/status.hpp"
#include "tessera/hls/stream.hpp"
#include "tessera/numerics/int8.hpp"

namespace tessera::hls {

enum class Epilogue {
  kInt32,       // c_int32[m][n] = sum_k A[m][k] W[n][k]
  kDequantize,  // c_fp32 = numerics::dequantize_product(sum, row_scale[m], col_scale[n])
  kRequantize,  // c_int8 = numerics::requantize_product(sum, row_scale[m], col_scale[n])
};

struct GemmArgs {
  const std::int8_t* a = nullptr;  // [m][k]
  const std::int8_t* w = nullptr;  // [n][k]
  int m = 0, n = 0, k = 0;
  Epilogue epilogue = Epilogue::kInt32;
  std::int32_t* c_int32 = nullptr;   // [m][n], for kInt32
  float* c_fp32 = nullptr;           // [m][n], for kDequantize
  std::int8_t* c_int8 = nullptr;     // [m][n], for kRequantize
  const float* row_scale = nullptr;  // [m], for the fp32 and int8 epilogues
  const float* col_scale = nullptr;  // [n]
  // 0: W is row-major. Otherwise W is in the device ABI's tiled layout with this many
  // rows per tile (gemv_i8 only: the vector unit reads W as memory holds it).
  int w_tile = 0;
  // Non-null: the engine computes Huang-Abraham checksums of every output tile
  // (tessera/hls/abft.hpp), reports here, and returns Status::kChecksumMismatch if
  // any tile fails them (gemm_i8; its results are written all the same).
  ChecksumReport* checksums = nullptr;
  // Non-null: a fault strikes the engine's state during the call (gemm_i8).
  const EngineFault* fault = nullptr;
};

Status validate(const GemmArgs& args);

// Writes C[row][col] = `sum` through the call's epilogue: what every GEMM kernel
// (and a host finishing a device's int32 results) does with an accumulator.
inline void store_result(const GemmArgs& g, int row, int col, std::int32_t sum) {
  const long index = row * static_cast<long>(g.n) + col;
  switch (g.epilogue) {
    case Epilogue::kInt32:
      g.c_int32[index] = sum;
      break;
    case Epilogue::kDequantize:
      g.c_fp32[index] = numerics::dequantize_product(sum, g.row_scale[row], g.col_scale[col]);
      break;
    case Epilogue::kRequantize:
      g.c_int8[index] = numerics::requantize_product(sum, g.row_scale[row], g.col_scale[col]);
      break;
  }
}

namespace detail {

// One K step of the array's operands: the A column entering the rows and the W
// column entering the columns (zero outside the matrices).
template <int ROWS, int COLS>
struct OperandBeat {
  std::int8_t a[static_cast<std::size_t>(ROWS)];
  std::int8_t w[static_cast<std::size_t>(COLS)];
  // The checksum PEs' operands: the beat's sums as they entered the buffers, so a
  // buffer byte struck later disagrees with them.
  std::int32_t a_sum, w_sum;
};

// Where an output tile sits in its job: what a fault is aimed at.
struct TileAt {
  int index;   // in job order, row tile outer
  int m_tile;  // row tile of A
  int n_tile;  // row tile of W
};

inline bool struck_operand(const EngineFault* f, OperandBuffer buffer, const TileAt& tile,
                           long word, long k) {
  return f != nullptr && f->site == EngineSite::kOperandBuffer && f->buffer == buffer &&
         f->word == word && (tile.index > f->tile || (tile.index == f->tile && k >= f->step));
}

template <int ROWS, int COLS, int K_TILE>
void load_operands(const GemmArgs& g, const TileAt& tile, int k0,
                   Stream<OperandBeat<ROWS, COLS>, K_TILE>& beats) {
  const int depth = g.k - k0 < K_TILE ? g.k - k0 : K_TILE;
  const int m0 = tile.m_tile * ROWS, n0 = tile.n_tile * COLS;
load_k:
  for (int kk = 0; kk < depth; ++kk) {
#pragma HLS PIPELINE II = 1
    OperandBeat<ROWS, COLS> beat;
    const long k = k0 + kk;
    beat.a_sum = 0;
    beat.w_sum = 0;
    for (int r = 0; r < ROWS; ++r) {
#pragma HLS UNROLL
      beat.a[r] = m0 + r < g.m ? g.a[(m0 + r) * static_cast<long>(g.k) + k] : std::int8_t{0};
      beat.a_sum += beat.a[r];
    }
    for (int c = 0; c < COLS; ++c) {
#pragma HLS UNROLL
      beat.w[c] = n0 + c < g.n ? g.w[(n0 + c) * static_cast<long>(g.k) + k] : std::int8_t{0};
      beat.w_sum += beat.w[c];
    }
    const EngineFault* f = g.fault;
    if (struck_operand(f, OperandBuffer::kA, tile, tile.m_tile * static_cast<long>(g.k) + k, k)) {
      beat.a[f->lane] = apply_bit_fault(f->kind, beat.a[f->lane], f->bit);
    }
    if (struck_operand(f, OperandBuffer::kW, tile, tile.n_tile * static_cast<long>(g.k) + k, k)) {
      beat.w[f->lane] = apply_bit_fault(f->kind, beat.w[f->lane], f->bit);
    }
    beats.write(beat);
  }
}

// The accumulators of a tile: the array's, and the checksum PEs' (column COLS of
// each row, row ROWS of each column), all wrapping at 32 bits as the hardware's.
template <int ROWS, int COLS>
struct TileAccumulators {
  std::uint32_t pe[static_cast<std::size_t>(ROWS)][static_cast<std::size_t>(COLS)];
  std::uint32_t row_check[static_cast<std::size_t>(ROWS)];
  std::uint32_t col_check[static_cast<std::size_t>(COLS)];
  std::uint32_t& at(int row, int col) {
    return row == ROWS ? col_check[col] : col == COLS ? row_check[row] : pe[row][col];
  }
};

// An accumulator fault lands after MAC number `done` (1..K) of the tile: a flip once
// at its step, a stuck bit from its step on (from the first MAC if aimed at step 0).
template <int ROWS, int COLS>
void strike_accumulator(const EngineFault* f, int tile, long done,
                        TileAccumulators<ROWS, COLS>& acc) {
  if (f == nullptr || f->site != EngineSite::kAccumulator || f->tile != tile) return;
  const bool now = f->kind == BitFault::kFlip ? done == f->step : done >= f->step;
  if (now) {
    std::uint32_t& value = acc.at(f->row, f->col);
    value = apply_bit_fault(f->kind, value, f->bit);
  }
}

// live_rows bounds the row loop in the C model only: rows past the edge of A hold
// zeros and are never drained, so skipping them changes no result (the hardware
// array computes them anyway). `done`: the tile's K steps before this chunk.
template <int ROWS, int COLS, int K_TILE>
void multiply_accumulate(const GemmArgs& g, Stream<OperandBeat<ROWS, COLS>, K_TILE>& beats,
                         int live_rows, int tile, long done, TileAccumulators<ROWS, COLS>& acc) {
mac_k:
  while (!beats.empty()) {
#pragma HLS PIPELINE II = 1
    const OperandBeat<ROWS, COLS> beat = beats.read();
    for (int r = 0; r < live_rows; ++r) {
#pragma HLS UNROLL
      const auto a = static_cast<std::int32_t>(beat.a[r]);
      for (int c = 0; c < COLS; ++c) {
#pragma HLS UNROLL
        acc.pe[r][c] = wrapping_mac(acc.pe[r][c], a, beat.w[c]);
      }
    }
    if (g.checksums != nullptr) {
      for (int r = 0; r < ROWS; ++r) {
#pragma HLS UNROLL
        acc.row_check[r] = wrapping_mac(acc.row_check[r], beat.a[r], beat.w_sum);
      }
      for (int c = 0; c < COLS; ++c) {
#pragma HLS UNROLL
        acc.col_check[c] = wrapping_mac(acc.col_check[c], beat.a_sum, beat.w[c]);
      }
    }
    strike_accumulator<ROWS, COLS>(g.fault, tile, ++done, acc);
  }
}

// The tile's results leave row by row through the output FIFO; the checker behind
// it sums them per row and column and compares with the checksum PEs. Rows and
// columns past the matrices are drained to the checker but not stored.
template <int ROWS, int COLS>
bool drain(const GemmArgs& g, const TileAt& tile, const TileAccumulators<ROWS, COLS>& acc) {
  const int m0 = tile.m_tile * ROWS, n0 = tile.n_tile * COLS;
  const EngineFault* f = g.fault;
  const bool checked = g.checksums != nullptr;
  const bool whole = checked || f != nullptr;  // the C model otherwise skips the padding
  std::uint32_t row_sum[static_cast<std::size_t>(ROWS)] = {};
  std::uint32_t col_sum[static_cast<std::size_t>(COLS)] = {};
drain_rows:
  for (int r = 0; r < ROWS && (whole || m0 + r < g.m); ++r) {
    for (int c = 0; c < COLS && (whole || n0 + c < g.n); ++c) {
#pragma HLS PIPELINE II = 1
      std::uint32_t value = acc.pe[r][c];
      if (f != nullptr && f->site == EngineSite::kResultFifo && f->tile == tile.index &&
          f->row == r && f->col == c) {
        value = apply_bit_fault(f->kind, value, f->bit);
      }
      row_sum[r] += value;
      col_sum[c] += value;
      if (m0 + r < g.m && n0 + c < g.n) {
        store_result(g, m0 + r, n0 + c, static_cast<std::int32_t>(value));
      }
    }
  }
  if (!checked) return true;
  bool agree = true;
  for (int r = 0; r < ROWS; ++r) agree = agree && row_sum[r] == acc.row_check[r];
  for (int c = 0; c < COLS; ++c) agree = agree && col_sum[c] == acc.col_check[c];
  return agree;
}

}  // namespace detail

template <int ROWS, int COLS, int K_TILE = 64>
Status gemm_i8(const GemmArgs& g) {
#pragma HLS INTERFACE m_axi port = g.a offset = slave bundle = gmem_a
#pragma HLS INTERFACE m_axi port = g.w offset = slave bundle = gmem_w
#pragma HLS INTERFACE m_axi port = g.c_int32 offset = slave bundle = gmem_c
#pragma HLS INTERFACE s_axilite port = return
  static_assert(ROWS > 0 && COLS > 0 && K_TILE > 0, "array dimensions must be positive");
  const Status status = validate(g);
  if (status != Status::kOk) return status;
  if (g.w_tile != 0) return Status::kBadShape;  // gemm_i8 reads row-major W
  bool stream_error = false;
  const int n_tiles = (g.n + COLS - 1) / COLS;
  if (g.fault != nullptr && !fault_fits(*g.fault, {ROWS, COLS}, (g.m + ROWS - 1) / ROWS, n_tiles,
                                        g.k, g.checksums != nullptr)) {
    return Status::kBadShape;
  }
  const bool whole_tiles = g.checksums != nullptr || g.fault != nullptr;
  if (g.checksums != nullptr) *g.checksums = ChecksumReport{};
tile_m:
  for (int m0 = 0; m0 < g.m; m0 += ROWS) {
  tile_n:
    for (int n0 = 0; n0 < g.n; n0 += COLS) {
      const detail::TileAt tile{(m0 / ROWS) * n_tiles + n0 / COLS, m0 / ROWS, n0 / COLS};
      detail::TileAccumulators<ROWS, COLS> acc = {};
#pragma HLS ARRAY_PARTITION variable = acc.pe complete dim = 0
      const int live_rows = whole_tiles || g.m - m0 >= ROWS ? ROWS : g.m - m0;
    tile_k:
      for (int k0 = 0; k0 < g.k; k0 += K_TILE) {
#pragma HLS DATAFLOW
        Stream<detail::OperandBeat<ROWS, COLS>, K_TILE> beats;
        detail::load_operands<ROWS, COLS, K_TILE>(g, tile, k0, beats);
        detail::multiply_accumulate<ROWS, COLS, K_TILE>(g, beats, live_rows, tile.index, k0, acc);
        stream_error = stream_error || beats.misused();
      }
      if (!detail::drain<ROWS, COLS>(g, tile, acc)) g.checksums->record(tile.index);
    }
  }
  if (stream_error) return Status::kInternalError;
  return g.checksums != nullptr && g.checksums->failing_tiles > 0 ? Status::kChecksumMismatch
                                                                  : Status::kOk;
}

}  // namespace tessera::hls
