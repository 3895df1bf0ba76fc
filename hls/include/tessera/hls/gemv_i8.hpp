#pragma once

// Vector mode of the GEMM engine (docs/rtl.md "Vector mode"): C = a * W^T for one row
// a, the decode step's matmul. The array's ROWS x COLS PEs each own one output: every
// K step broadcasts a[k] to all of them and hands PE(r, c) its own W byte, so all
// ROWS * COLS MACs are useful with no reuse of W, and W streams straight from memory
// instead of through the operand buffers. A "vector tile" is ROWS * COLS outputs.
// The model moves W in K chunks of every lane's row (bursts) between a load and a
// MAC stage; the integers are those of the beat-by-beat engine.

#include <cstdint>

#include "tessera/hls/gemm_i8.hpp"

namespace tessera::hls {

namespace detail {

// A K chunk of a vector tile's operands: the A bytes broadcast to every PE and the
// W rows of the tile's lanes (lane r * COLS + c feeds PE (r, c)), each row's chunk
// read as one burst.
template <int ROWS, int COLS, int K_TILE>
struct VectorChunk {
  std::int8_t a[static_cast<std::size_t>(K_TILE)];
  std::int8_t w[static_cast<std::size_t>(ROWS * COLS)][static_cast<std::size_t>(K_TILE)];
  int depth;
};

// live_lanes bounds the lane loops in the C model only: lanes past N carry zero
// weights and are never stored (the hardware computes them anyway).
template <int ROWS, int COLS, int K_TILE>
void load_vector_chunk(const GemmArgs& g, int n0, int k0, int live_lanes,
                       VectorChunk<ROWS, COLS, K_TILE>& chunk) {
  chunk.depth = g.k - k0 < K_TILE ? g.k - k0 : K_TILE;
load_a:
  for (int kk = 0; kk < chunk.depth; ++kk) {
#pragma HLS PIPELINE II = 1
    chunk.a[kk] = g.a[k0 + kk];
  }
load_rows:
  for (int lane = 0; lane < live_lanes; ++lane) {
    const long n = n0 + lane;
    // Row n's element k sits at n * K + k, or in the tiled layout at
    // ((n / tile) * K + k) * tile + n % tile.
    const long stride = g.w_tile == 0 ? 1 : g.w_tile;
    const std::int8_t* row = g.w_tile == 0
                                 ? g.w + n * g.k + k0
                                 : g.w + ((n / g.w_tile) * g.k + k0) * g.w_tile + n % g.w_tile;
    for (int kk = 0; kk < chunk.depth; ++kk) {
#pragma HLS PIPELINE II = 1
      chunk.w[lane][kk] = row[kk * stride];
    }
  }
}

// Every PE multiplies the broadcast A byte by its own W byte each K step.
template <int ROWS, int COLS, int K_TILE>
void vector_multiply_accumulate(const VectorChunk<ROWS, COLS, K_TILE>& chunk, int live_lanes,
                                std::int32_t (&acc)[static_cast<std::size_t>(ROWS * COLS)]) {
mac_lanes:
  for (int lane = 0; lane < live_lanes; ++lane) {
#pragma HLS UNROLL
    std::int32_t sum = acc[lane];
  mac_k:
    for (int kk = 0; kk < chunk.depth; ++kk) {
#pragma HLS PIPELINE II = 1
      sum += static_cast<std::int32_t>(chunk.a[kk]) * static_cast<std::int32_t>(chunk.w[lane][kk]);
    }
    acc[lane] = sum;
  }
}

// W as the unit's memory holds it (tiled by COLS): each K step's beat is one word
// of COLS bytes from each of the vector tile's ROWS row tiles, as the engine's
// vector stream delivers it.
template <int ROWS, int COLS>
void vector_multiply_accumulate_tiled(const GemmArgs& g, int n0, int live_lanes,
                                      std::int32_t (&acc)[static_cast<std::size_t>(ROWS * COLS)]) {
  const int live_tiles = (live_lanes + COLS - 1) / COLS;
  const long first_tile = n0 / COLS;
mac_k:
  for (int k = 0; k < g.k; ++k) {
#pragma HLS PIPELINE II = 1
    const auto a = static_cast<std::int32_t>(g.a[k]);
    for (int r = 0; r < live_tiles; ++r) {
#pragma HLS UNROLL
      const std::int8_t* word = g.w + ((first_tile + r) * g.k + k) * COLS;
      std::int32_t* lanes = acc + r * COLS;
      for (int c = 0; c < COLS; ++c) {
#pragma HLS UNROLL
        lanes[c] += a * static_cast<std::int32_t>(word[c]);
      }
    }
  }
}

// gemv_i8 with checksums or a fault, on W tiled by COLS as the unit's memory holds
// it: every lane computes (lanes past N on zero weights), one checksum PE per vector
// tile takes a[k] times the sum of the beat's W bytes, and the checker behind the
// output FIFO compares it with the sum of the tile's outputs. The A buffer feeds
// both alike, so it keeps a parity bit per byte instead (the ninth bit of each BRAM
// byte lane) and a byte that reads back changed fails the tile too.
template <int ROWS, int COLS>
void gemv_observed(const GemmArgs& g) {
  constexpr int kLanes = ROWS * COLS;
  const EngineFault* f = g.fault;
  if (g.checksums != nullptr) *g.checksums = ChecksumReport{};
  for (int n0 = 0, tile = 0; n0 < g.n; n0 += kLanes, ++tile) {
    std::uint32_t acc[static_cast<std::size_t>(kLanes)] = {};
    std::uint32_t check = 0;
    const int live_tiles = ((g.n - n0 < kLanes ? g.n - n0 : kLanes) + COLS - 1) / COLS;
    const long first_tile = n0 / COLS;
    const TileAt at{tile, 0, 0};
    bool parity_error = false;
    for (int k = 0; k < g.k; ++k) {
      std::int8_t a = g.a[k];
      if (struck_operand(f, OperandBuffer::kA, at, k / ROWS, k) && f->lane == k % ROWS) {
        a = apply_bit_fault(f->kind, a, f->bit);
        parity_error = parity_error || a != g.a[k];
      }
      std::int32_t w_sum = 0;
      for (int r = 0; r < live_tiles; ++r) {
        const std::int8_t* word = g.w + ((first_tile + r) * g.k + k) * COLS;
        for (int c = 0; c < COLS; ++c) {
          acc[r * COLS + c] = wrapping_mac(acc[r * COLS + c], a, word[c]);
          w_sum += word[c];
        }
      }
      if (g.checksums != nullptr) check = wrapping_mac(check, a, w_sum);
      if (f != nullptr && f->site == EngineSite::kAccumulator && f->tile == tile &&
          (f->kind == BitFault::kFlip ? k + 1 == f->step : k + 1 >= f->step)) {
        std::uint32_t& value = f->row == ROWS ? check : acc[f->row * COLS + f->col];
        value = apply_bit_fault(f->kind, value, f->bit);
      }
    }
    std::uint32_t outputs = 0;
    for (int lane = 0; lane < kLanes; ++lane) {
      std::uint32_t value = acc[lane];
      if (f != nullptr && f->site == EngineSite::kResultFifo && f->tile == tile &&
          f->row * COLS + f->col == lane) {
        value = apply_bit_fault(f->kind, value, f->bit);
      }
      outputs += value;
      if (n0 + lane < g.n) store_result(g, 0, n0 + lane, static_cast<std::int32_t>(value));
    }
    if (g.checksums != nullptr && (outputs != check || parity_error)) g.checksums->record(tile);
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
  if (g.checksums != nullptr || g.fault != nullptr) {
    if (g.w_tile != COLS) return Status::kBadShape;
    if (g.fault != nullptr &&
        !vector_fault_fits(*g.fault, {ROWS, COLS}, g.n, g.k, g.checksums != nullptr)) {
      return Status::kBadShape;
    }
    detail::gemv_observed<ROWS, COLS>(g);
    return g.checksums != nullptr && g.checksums->failing_tiles > 0 ? Status::kChecksumMismatch
                                                                    : Status::kOk;
  }
  constexpr int kLanes = ROWS * COLS;
tile_n:
  for (int n0 = 0; n0 < g.n; n0 += kLanes) {
    std::int32_t acc[static_cast<std::size_t>(kLanes)];  // PE (r, c) holds lane r * COLS + c
#pragma HLS ARRAY_PARTITION variable = acc complete dim = 0
    for (int lane = 0; lane < kLanes; ++lane) acc[lane] = 0;
    const int live_lanes = g.n - n0 < kLanes ? g.n - n0 : kLanes;
    if (g.w_tile == COLS) {
      detail::vector_multiply_accumulate_tiled<ROWS, COLS>(g, n0, live_lanes, acc);
    } else {
    tile_k:
      for (int k0 = 0; k0 < g.k; k0 += K_TILE) {
#pragma HLS DATAFLOW
        // Ping-pong buffered between the two stages in hardware.
        static thread_local detail::VectorChunk<ROWS, COLS, K_TILE> chunk;
#pragma HLS ARRAY_PARTITION variable = chunk.w complete dim = 1
        detail::load_vector_chunk<ROWS, COLS, K_TILE>(g, n0, k0, live_lanes, chunk);
        detail::vector_multiply_accumulate<ROWS, COLS, K_TILE>(chunk, live_lanes, acc);
      }
    }
  drain:
    for (int lane = 0; lane < live_lanes; ++lane) {
#pragma HLS PIPELINE II = 1
      store_result(g, 0, n0 + lane, acc[lane]);
    }
  }
  return Status::kOk;
}

}  // namespace tessera::hls
