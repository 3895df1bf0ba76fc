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
};

template <int ROWS, int COLS, int K_TILE>
void load_operands(const GemmArgs& g, int m0, int n0, int k0,
                   Stream<OperandBeat<ROWS, COLS>, K_TILE>& beats) {
  const int depth = g.k - k0 < K_TILE ? g.k - k0 : K_TILE;
load_k:
  for (int kk = 0; kk < depth; ++kk) {
#pragma HLS PIPELINE II = 1
    OperandBeat<ROWS, COLS> beat;
    const long k = k0 + kk;
    for (int r = 0; r < ROWS; ++r) {
#pragma HLS UNROLL
      beat.a[r] = m0 + r < g.m ? g.a[(m0 + r) * static_cast<long>(g.k) + k] : std::int8_t{0};
    }
    for (int c = 0; c < COLS; ++c) {
#pragma HLS UNROLL
      beat.w[c] = n0 + c < g.n ? g.w[(n0 + c) * static_cast<long>(g.k) + k] : std::int8_t{0};
    }
    beats.write(beat);
  }
}

// live_rows bounds the row loop in the C model only: rows past the edge of A hold
// zeros and are never drained, so skipping them changes no result (the hardware
// array computes them anyway).
template <int ROWS, int COLS, int K_TILE>
void multiply_accumulate(
    Stream<OperandBeat<ROWS, COLS>, K_TILE>& beats, int live_rows,
    std::int32_t (&acc)[static_cast<std::size_t>(ROWS)][static_cast<std::size_t>(COLS)]) {
mac_k:
  while (!beats.empty()) {
#pragma HLS PIPELINE II = 1
    const OperandBeat<ROWS, COLS> beat = beats.read();
    for (int r = 0; r < live_rows; ++r) {
#pragma HLS UNROLL
      const auto a = static_cast<std::int32_t>(beat.a[r]);
      for (int c = 0; c < COLS; ++c) {
#pragma HLS UNROLL
        acc[r][c] += a * static_cast<std::int32_t>(beat.w[c]);
      }
    }
  }
}

template <int ROWS, int COLS>
void drain(
    const GemmArgs& g, int m0, int n0,
    const std::int32_t (&acc)[static_cast<std::size_t>(ROWS)][static_cast<std::size_t>(COLS)]) {
drain_rows:
  for (int r = 0; r < ROWS && m0 + r < g.m; ++r) {
    for (int c = 0; c < COLS && n0 + c < g.n; ++c) {
#pragma HLS PIPELINE II = 1
      store_result(g, m0 + r, n0 + c, acc[r][c]);
    }
  }
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
tile_m:
  for (int m0 = 0; m0 < g.m; m0 += ROWS) {
  tile_n:
    for (int n0 = 0; n0 < g.n; n0 += COLS) {
      std::int32_t acc[static_cast<std::size_t>(ROWS)][static_cast<std::size_t>(COLS)];
#pragma HLS ARRAY_PARTITION variable = acc complete dim = 0
      for (int r = 0; r < ROWS; ++r) {
        for (int c = 0; c < COLS; ++c) acc[r][c] = 0;
      }
    tile_k:
      for (int k0 = 0; k0 < g.k; k0 += K_TILE) {
#pragma HLS DATAFLOW
        Stream<detail::OperandBeat<ROWS, COLS>, K_TILE> beats;
        detail::load_operands<ROWS, COLS, K_TILE>(g, m0, n0, k0, beats);
        detail::multiply_accumulate<ROWS, COLS, K_TILE>(beats, g.m - m0 < ROWS ? g.m - m0 : ROWS,
                                                        acc);
        stream_error = stream_error || beats.misused();
      }
      detail::drain<ROWS, COLS>(g, m0, n0, acc);
    }
  }
  return stream_error ? Status::kInternalError : Status::kOk;
}

}  // namespace tessera::hls
