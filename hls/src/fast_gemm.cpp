#include "tessera/hls/fast_gemm.hpp"

#include <algorithm>
#include <cstddef>
#include <vector>

namespace tessera::hls {
namespace {

constexpr int kRowsAtOnce = 4;         // W rows sharing each load of A
constexpr long kBlockBytes = 1 << 17;  // W rows kept in cache while every A row passes

std::size_t sz(long n) { return static_cast<std::size_t>(n); }

std::int32_t dot(const std::int8_t* a, const std::int8_t* w, int k) {
  std::int32_t sum = 0;
  for (int i = 0; i < k; ++i) sum += static_cast<std::int32_t>(a[i]) * w[i];
  return sum;
}

// Four dot products of one A row: the loop the compiler turns into widening
// multiply-adds over all four W rows.
void dot4(const std::int8_t* a, const std::int8_t* w, long stride, int k,
          std::int32_t (&sums)[kRowsAtOnce]) {
  const std::int8_t* w0 = w;
  const std::int8_t* w1 = w + stride;
  const std::int8_t* w2 = w + 2 * stride;
  const std::int8_t* w3 = w + 3 * stride;
  std::int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (int i = 0; i < k; ++i) {
    const auto x = static_cast<std::int32_t>(a[i]);
    s0 += x * w0[i];
    s1 += x * w1[i];
    s2 += x * w2[i];
    s3 += x * w3[i];
  }
  sums[0] = s0;
  sums[1] = s1;
  sums[2] = s2;
  sums[3] = s3;
}

// Row-major W, in blocks of rows that stay in cache while every row of A passes.
void gemm_row_major(const GemmArgs& g) {
  const long k = g.k;
  const int block =
      static_cast<int>(std::max<long>(kRowsAtOnce, kBlockBytes / k / kRowsAtOnce * kRowsAtOnce));
  for (int n0 = 0; n0 < g.n; n0 += block) {
    const int n1 = std::min(g.n, n0 + block);
    for (int m = 0; m < g.m; ++m) {
      const std::int8_t* a = g.a + m * k;
      int n = n0;
      for (; n + kRowsAtOnce <= n1; n += kRowsAtOnce) {
        std::int32_t sums[kRowsAtOnce];
        dot4(a, g.w + n * k, k, g.k, sums);
        for (int i = 0; i < kRowsAtOnce; ++i) store_result(g, m, n + i, sums[i]);
      }
      for (; n < n1; ++n) store_result(g, m, n, dot(a, g.w + n * k, g.k));
    }
  }
}

// Tiled W: element (n, k) at ((n / tile) * K + k) * tile + n % tile, so a tile's K
// steps are contiguous words of `tile` lanes, accumulated lane-parallel.
void gemm_tiled(const GemmArgs& g) {
  const long tile = g.w_tile, k = g.k;
  std::vector<std::int32_t> acc(sz(tile));
  for (int m = 0; m < g.m; ++m) {
    const std::int8_t* a = g.a + m * k;
    for (long t = 0; t * tile < g.n; ++t) {
      std::fill(acc.begin(), acc.end(), 0);
      std::int32_t* lanes = acc.data();
      const std::int8_t* word = g.w + t * k * tile;
      for (long kk = 0; kk < k; ++kk, word += tile) {
        const auto x = static_cast<std::int32_t>(a[kk]);
        for (long lane = 0; lane < tile; ++lane) lanes[lane] += x * word[lane];
      }
      const long live = std::min<long>(tile, g.n - t * tile);
      for (long lane = 0; lane < live; ++lane) {
        store_result(g, m, static_cast<int>(t * tile + lane), lanes[lane]);
      }
    }
  }
}

}  // namespace

Status fast_gemm(const GemmArgs& g) {
  const Status status = validate(g);
  if (status != Status::kOk) return status;
  if (g.w_tile == 0) {
    gemm_row_major(g);
  } else {
    gemm_tiled(g);
  }
  return Status::kOk;
}

}  // namespace tessera::hls
