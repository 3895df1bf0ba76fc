#pragma once

// Vector mode of the GEMM engine (docs/rtl.md "Vector mode"): C = a * W^T for one row
// a, the decode step's matmul. The array's ROWS x COLS PEs each own one output: every
// K step broadcasts a[k] to all of them and hands PE(r, c) its own W byte, so all
// ROWS * COLS MACs are useful with no reuse of W, and W streams straight from memory
// instead of through the operand buffers. A "vector tile" is ROWS * COLS outputs.

#include <cstdint>

#include "tessera/hls/gemm_i8.hpp"
#include "tessera/hls/stream.hpp"

namespace tessera::hls {

namespace detail {

// One K step of a vector tile: the broadcast A byte and one W byte per PE.
template <int ROWS, int COLS>
struct VectorBeat {
  std::int8_t a;
  std::int8_t w[static_cast<std::size_t>(ROWS)][static_cast<std::size_t>(COLS)];
};

template <int ROWS, int COLS, int K_TILE>
void load_vector_beats(const GemmArgs& g, int n0, int k0,
                       Stream<VectorBeat<ROWS, COLS>, K_TILE>& beats) {
  const int depth = g.k - k0 < K_TILE ? g.k - k0 : K_TILE;
load_k:
  for (int kk = 0; kk < depth; ++kk) {
#pragma HLS PIPELINE II = 1
    VectorBeat<ROWS, COLS> beat;
    const long k = k0 + kk;
    beat.a = g.a[k];
    for (int r = 0; r < ROWS; ++r) {
#pragma HLS UNROLL
      for (int c = 0; c < COLS; ++c) {
#pragma HLS UNROLL
        const long n = n0 + r * COLS + c;
        beat.w[r][c] = n < g.n ? g.w[n * g.k + k] : std::int8_t{0};
      }
    }
    beats.write(beat);
  }
}

// live_lanes bounds the lane loops in the C model only: lanes past N hold zero
// weights and are never stored (the hardware computes them anyway).
template <int ROWS, int COLS, int K_TILE>
void vector_multiply_accumulate(
    Stream<VectorBeat<ROWS, COLS>, K_TILE>& beats, int live_lanes,
    std::int32_t (&acc)[static_cast<std::size_t>(ROWS)][static_cast<std::size_t>(COLS)]) {
mac_k:
  while (!beats.empty()) {
#pragma HLS PIPELINE II = 1
    const VectorBeat<ROWS, COLS> beat = beats.read();
    const auto a = static_cast<std::int32_t>(beat.a);
    for (int r = 0; r < ROWS && r * COLS < live_lanes; ++r) {
#pragma HLS UNROLL
      for (int c = 0; c < COLS; ++c) {
#pragma HLS UNROLL
        acc[r][c] += a * static_cast<std::int32_t>(beat.w[r][c]);
      }
    }
  }
}

}  // namespace detail

// Status::kBadShape unless M == 1 and K >= ROWS (a tile's results drain while the
// next tile accumulates); otherwise the checks of gemm_i8.
template <int ROWS, int COLS, int K_TILE = 64>
Status gemv_i8(const GemmArgs& g) {
#pragma HLS INTERFACE m_axi port = g.a offset = slave bundle = gmem_a
#pragma HLS INTERFACE m_axi port = g.w offset = slave bundle = gmem_w
#pragma HLS INTERFACE m_axi port = g.c_int32 offset = slave bundle = gmem_c
#pragma HLS INTERFACE s_axilite port = return
  static_assert(ROWS > 0 && COLS > 0 && K_TILE > 0, "array dimensions must be positive");
  const Status status = validate(g);
  if (status != Status::kOk) return status;
  if (g.m != 1 || g.k < ROWS) return Status::kBadShape;
  constexpr int kLanes = ROWS * COLS;
  bool stream_error = false;
tile_n:
  for (int n0 = 0; n0 < g.n; n0 += kLanes) {
    std::int32_t acc[static_cast<std::size_t>(ROWS)][static_cast<std::size_t>(COLS)];
#pragma HLS ARRAY_PARTITION variable = acc complete dim = 0
    for (int r = 0; r < ROWS; ++r) {
      for (int c = 0; c < COLS; ++c) acc[r][c] = 0;
    }
  tile_k:
    for (int k0 = 0; k0 < g.k; k0 += K_TILE) {
#pragma HLS DATAFLOW
      Stream<detail::VectorBeat<ROWS, COLS>, K_TILE> beats;
      detail::load_vector_beats<ROWS, COLS, K_TILE>(g, n0, k0, beats);
      detail::vector_multiply_accumulate<ROWS, COLS, K_TILE>(beats, g.n - n0, acc);
      stream_error = stream_error || beats.misused();
    }
  drain:
    for (int lane = 0; lane < kLanes && n0 + lane < g.n; ++lane) {
#pragma HLS PIPELINE II = 1
      detail::store_result(g, 0, n0 + lane, acc[lane / COLS][lane % COLS]);
    }
  }
  return stream_error ? Status::kInternalError : Status::kOk;
}

}  // namespace tessera::hls
