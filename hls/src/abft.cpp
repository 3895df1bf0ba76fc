#include "tessera/hls/abft.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace tessera::hls {
namespace {

std::size_t sz(long n) { return static_cast<std::size_t>(n); }

// sums[tile * k + kk] = sum of rows [tile * size, tile * size + size) of m at column kk.
std::vector<std::int32_t> tile_column_sums(const std::int8_t* m, int rows, int k, int size) {
  const int tiles = rows / size;
  std::vector<std::int32_t> sums(sz(tiles) * sz(k), 0);
  for (int row = 0; row < rows; ++row) {
    std::int32_t* sum = sums.data() + sz(row / size) * sz(k);
    const std::int8_t* values = m + sz(row) * sz(k);
    for (int kk = 0; kk < k; ++kk) sum[kk] += values[kk];
  }
  return sums;
}

std::uint32_t dot(const std::int8_t* x, const std::int32_t* y, int k) {
  std::uint32_t sum = 0;
  for (int kk = 0; kk < k; ++kk) sum = wrapping_mac(sum, x[kk], y[kk]);
  return sum;
}

}  // namespace

bool fault_fits(const EngineFault& f, ArrayShape array, int m_tiles, int n_tiles, int k,
                bool checksums) {
  const long tiles = static_cast<long>(m_tiles) * n_tiles;
  if (f.tile < 0 || f.tile >= tiles || f.step < 0 || f.step > k) return false;
  const int word_bits = f.site == EngineSite::kOperandBuffer ? 8 : 32;
  if (f.bit < 0 || f.bit >= word_bits) return false;
  switch (f.site) {
    case EngineSite::kAccumulator: {
      const int rows = array.rows + (checksums ? 1 : 0), cols = array.cols + (checksums ? 1 : 0);
      const bool corner = f.row == array.rows && f.col == array.cols;
      return f.row >= 0 && f.row < rows && f.col >= 0 && f.col < cols && !corner;
    }
    case EngineSite::kResultFifo:
      return f.row >= 0 && f.row < array.rows && f.col >= 0 && f.col < array.cols;
    case EngineSite::kOperandBuffer: {
      const bool a = f.buffer == OperandBuffer::kA;
      const long words = static_cast<long>(a ? m_tiles : n_tiles) * k;
      return f.word >= 0 && f.word < words && f.lane >= 0 && f.lane < (a ? array.rows : array.cols);
    }
  }
  return false;
}

bool vector_fault_fits(const EngineFault& f, ArrayShape array, int n, int k, bool checksums) {
  const int lanes = array.rows * array.cols;
  const int tiles = (n + lanes - 1) / lanes;
  if (f.tile < 0 || f.tile >= tiles || f.step < 0 || f.step > k) return false;
  const int word_bits = f.site == EngineSite::kOperandBuffer ? 8 : 32;
  if (f.bit < 0 || f.bit >= word_bits) return false;
  const bool pe = f.row >= 0 && f.row < array.rows && f.col >= 0 && f.col < array.cols;
  switch (f.site) {
    case EngineSite::kAccumulator:
      return pe || (checksums && f.row == array.rows && f.col == 0);
    case EngineSite::kResultFifo:
      return pe;
    case EngineSite::kOperandBuffer:
      return f.buffer == OperandBuffer::kA && f.word >= 0 &&
             f.word < (k + array.rows - 1) / array.rows && f.lane >= 0 && f.lane < array.rows &&
             static_cast<long>(f.word) * array.rows + f.lane < k;
  }
  return false;
}

ChecksumReport check_gemm_tiles(ArrayShape array, const std::int8_t* a, const std::int8_t* w, int m,
                                int n, int k, const std::int32_t* c) {
  const std::vector<std::int32_t> a_sums = tile_column_sums(a, m, k, array.rows);
  const std::vector<std::int32_t> w_sums = tile_column_sums(w, n, k, array.cols);
  const int m_tiles = m / array.rows, n_tiles = n / array.cols;
  ChecksumReport report;
  for (int mt = 0; mt < m_tiles; ++mt) {
    for (int nt = 0; nt < n_tiles; ++nt) {
      bool agree = true;
      for (int r = mt * array.rows; r < (mt + 1) * array.rows; ++r) {
        std::uint32_t sum = 0;
        for (int col = nt * array.cols; col < (nt + 1) * array.cols; ++col) {
          sum += static_cast<std::uint32_t>(c[sz(r) * sz(n) + sz(col)]);
        }
        agree = agree && sum == dot(a + sz(r) * sz(k), w_sums.data() + sz(nt) * sz(k), k);
      }
      for (int col = nt * array.cols; col < (nt + 1) * array.cols; ++col) {
        std::uint32_t sum = 0;
        for (int r = mt * array.rows; r < (mt + 1) * array.rows; ++r) {
          sum += static_cast<std::uint32_t>(c[sz(r) * sz(n) + sz(col)]);
        }
        agree = agree && sum == dot(w + sz(col) * sz(k), a_sums.data() + sz(mt) * sz(k), k);
      }
      if (!agree) report.record(mt * n_tiles + nt);
    }
  }
  return report;
}

ChecksumReport check_gemv_tiles(ArrayShape array, const std::int8_t* a, const std::int8_t* w_tiled,
                                int n, int k, const std::int32_t* c) {
  const int lanes = array.rows * array.cols;
  ChecksumReport report;
  std::vector<std::int32_t> w_sum(sz(k));
  for (int n0 = 0, tile = 0; n0 < n; n0 += lanes, ++tile) {
    std::fill(w_sum.begin(), w_sum.end(), 0);
    std::uint32_t outputs = 0;
    for (int row = n0; row < n0 + lanes && row < n; ++row) {
      // Row `row` of W, tiled by COLS: element kk at ((row / COLS) * K + kk) * COLS + row % COLS.
      const std::int8_t* base =
          w_tiled + sz(row / array.cols) * sz(k) * sz(array.cols) + sz(row % array.cols);
      for (int kk = 0; kk < k; ++kk) w_sum[sz(kk)] += base[sz(kk) * sz(array.cols)];
      outputs += static_cast<std::uint32_t>(c[row]);
    }
    if (outputs != dot(a, w_sum.data(), k)) report.record(tile);
  }
  return report;
}

}  // namespace tessera::hls
