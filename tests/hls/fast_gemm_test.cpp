// fast_gemm against the cycle-by-cycle C models (gemm_i8, gemv_i8) on every array,
// and against the nested-loop int8 reference (models/int8_reference), bit for bit.
#include "tessera/hls/fast_gemm.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "support/random_data.hpp"
#include "tessera/hls/kernels.hpp"
#include "tessera/models/int8_reference.hpp"

namespace tessera::hls {
namespace {

using testing::random_int8;

std::size_t sz(long n) { return static_cast<std::size_t>(n); }

// One call's operands and its three possible outputs.
struct Case {
  int m = 0, n = 0, k = 0;
  Epilogue epilogue = Epilogue::kInt32;
  std::vector<std::int8_t> a, w;
  std::vector<float> row_scale, col_scale;
};

struct Outputs {
  std::vector<std::int32_t> c_int32;
  std::vector<float> c_fp32;
  std::vector<std::int8_t> c_int8;
  bool operator==(const Outputs& o) const {
    return c_int32 == o.c_int32 && c_int8 == o.c_int8 && c_fp32.size() == o.c_fp32.size() &&
           std::memcmp(c_fp32.data(), o.c_fp32.data(), c_fp32.size() * sizeof(float)) == 0;
  }
};

// Runs `kernel` on the case, W row-major (w_tile 0) or tiled as the device holds it.
template <typename Kernel>
Outputs run(const Case& c, int w_tile, Kernel kernel) {
  Outputs out;
  out.c_int32.assign(sz(c.m) * sz(c.n), -7);
  out.c_fp32.assign(out.c_int32.size(), -7.0f);
  out.c_int8.assign(out.c_int32.size(), -7);
  std::vector<std::int8_t> w = c.w;
  if (w_tile != 0) {  // row n, element k at ((n / tile) * K + k) * tile + n % tile
    const long tiles = (c.n + w_tile - 1) / w_tile;
    w.assign(sz(tiles * w_tile * c.k), 0);
    for (long n = 0; n < c.n; ++n) {
      for (long k = 0; k < c.k; ++k) {
        w[sz(((n / w_tile) * c.k + k) * w_tile + n % w_tile)] = c.w[sz(n * c.k + k)];
      }
    }
  }
  GemmArgs g;
  g.a = c.a.data();
  g.w = w.data();
  g.w_tile = w_tile;
  g.m = c.m;
  g.n = c.n;
  g.k = c.k;
  g.epilogue = c.epilogue;
  g.c_int32 = out.c_int32.data();
  g.c_fp32 = out.c_fp32.data();
  g.c_int8 = out.c_int8.data();
  g.row_scale = c.row_scale.data();
  g.col_scale = c.col_scale.data();
  EXPECT_EQ(kernel(g), Status::kOk);
  return out;
}

Case random_case(std::mt19937& rng, int max_dim, int k) {
  std::uniform_int_distribution<int> dim(1, max_dim);
  std::uniform_real_distribution<float> scale(1e-4f, 0.05f);
  Case c;
  c.m = std::uniform_int_distribution<int>(0, 4)(rng) == 0 ? 1 : dim(rng);
  c.n = dim(rng);
  c.k = k;
  c.epilogue = static_cast<Epilogue>(std::uniform_int_distribution<int>(0, 2)(rng));
  c.a = random_int8(sz(c.m) * sz(k), rng);
  c.w = random_int8(sz(c.n) * sz(k), rng);
  for (int i = 0; i < c.m; ++i) c.row_scale.push_back(scale(rng));
  for (int i = 0; i < c.n; ++i) c.col_scale.push_back(scale(rng));
  return c;
}

std::string describe(const Case& c, ArrayShape array) {
  return std::to_string(c.m) + "x" + std::to_string(c.n) + "x" + std::to_string(c.k) +
         " epilogue " + std::to_string(static_cast<int>(c.epilogue)) + " on " + to_string(array);
}

// 1,200 random shapes across the arrays: M = 1 in a fifth of them, K from 1 through
// several K_TILE chunks, sizes that are not multiples of any tile, every epilogue.
TEST(FastGemm, MatchesTheCModelOnRandomShapes) {
  std::mt19937 rng(2024);
  const std::vector<ArrayShape> arrays = supported_arrays();
  std::uniform_int_distribution<int> depth(1, 3 * kGemmKTile + 7);
  for (int i = 0; i < 1200; ++i) {
    const ArrayShape array = arrays[sz(i) % arrays.size()];
    const int k = i % 10 == 0 ? 1 : depth(rng);
    const Case c = random_case(rng, 2 * array.rows + 9, k);
    const Outputs model = run(c, 0, [&](const GemmArgs& g) { return gemm(array, g); });
    ASSERT_TRUE(run(c, 0, fast_gemm) == model) << describe(c, array);
  }
}

// The vector unit's layout: W tiled by the array's columns, against gemv_i8.
TEST(FastGemm, MatchesTheVectorModeCModelOnTiledWeights) {
  std::mt19937 rng(77);
  for (const ArrayShape array : supported_arrays()) {
    std::uniform_int_distribution<int> depth(array.rows, 2 * kGemmKTile + 3);
    for (int i = 0; i < 60; ++i) {
      Case c = random_case(rng, 3 * array.rows * array.cols + 5, depth(rng));
      c.m = 1;
      c.a.resize(sz(c.k));
      c.row_scale.resize(1);
      const Outputs model = run(c, array.cols, [&](const GemmArgs& g) { return gemv(array, g); });
      ASSERT_TRUE(run(c, array.cols, fast_gemm) == model) << describe(c, array);
      ASSERT_TRUE(run(c, 0, fast_gemm) == model) << describe(c, array) << " row-major";
    }
  }
}

// The deepest accumulation the contract allows, with the largest products: the sums
// reach 2^31 - 16,384 without overflowing, and one step more is refused.
TEST(FastGemm, AccumulationLimitAgreesWithTheReference) {
  const int k = numerics::kMaxAccumulationDepth;
  for (const auto& [fill_a, fill_w] : {std::pair{-128, -128}, std::pair{-128, 127}}) {
    Case c;
    c.m = 2;
    c.n = 5;
    c.k = k;
    c.a.assign(sz(c.m) * sz(k), static_cast<std::int8_t>(fill_a));
    c.w.assign(sz(c.n) * sz(k), static_cast<std::int8_t>(fill_w));
    const Outputs fast = run(c, 0, fast_gemm);
    EXPECT_EQ(fast.c_int32, models::int8_reference::gemm(c.a, c.w, c.m, c.n, k)) << fill_w;
    EXPECT_TRUE(run(c, 0, [](const GemmArgs& g) { return gemm({4, 4}, g); }) == fast);
  }
  Case too_deep;
  too_deep.m = too_deep.n = 1;
  too_deep.k = k + 1;
  too_deep.a.assign(sz(k) + 1, 1);
  too_deep.w.assign(sz(k) + 1, 1);
  std::vector<std::int32_t> c(1);
  GemmArgs g;
  g.a = too_deep.a.data();
  g.w = too_deep.w.data();
  g.m = g.n = 1;
  g.k = k + 1;
  g.c_int32 = c.data();
  EXPECT_EQ(fast_gemm(g), Status::kAccumulationTooDeep);
}

TEST(FastGemm, RefusesWhatTheCModelRefuses) {
  std::vector<std::int8_t> a(4, 1), w(4, 1);
  std::vector<std::int32_t> c(1);
  GemmArgs g;
  g.a = a.data();
  g.w = w.data();
  g.m = 1;
  g.n = 1;
  g.k = 4;
  EXPECT_EQ(fast_gemm(g), Status::kBadShape);  // no output
  g.c_int32 = c.data();
  g.k = 0;
  EXPECT_EQ(fast_gemm(g), Status::kBadShape);
  g.k = 4;
  g.epilogue = Epilogue::kDequantize;
  EXPECT_EQ(fast_gemm(g), Status::kBadShape);  // no scales
}

}  // namespace
}  // namespace tessera::hls
