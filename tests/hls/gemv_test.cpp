// gemv_i8 (the engine's vector mode, HLS C model) against the nested-loop int8
// reference, bit for bit, with every epilogue.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "support/random_data.hpp"
#include "tessera/hls/kernels.hpp"
#include "tessera/models/int8_reference.hpp"

namespace tessera::hls {
namespace {

using testing::random_int8;

std::size_t count(int m, int n) {
  return static_cast<std::size_t>(m) * static_cast<std::size_t>(n);
}

// The device ABI's tiled layout (word (t, k) holds column k of row tile t), written
// out here independently of the sim library.
std::size_t sim_tiled_bytes(int rows, int k, int tile) {
  return static_cast<std::size_t>((rows + tile - 1) / tile) * count(k, tile);
}
void pack_tiled_for_test(const std::vector<std::int8_t>& x, int rows, int k, int tile,
                         std::vector<std::uint8_t>& out) {
  for (int row = 0; row < (rows + tile - 1) / tile * tile; ++row) {
    for (int kk = 0; kk < k; ++kk) {
      const std::size_t at =
          count(row / tile * k + kk, tile) + static_cast<std::size_t>(row % tile);
      out[at] = row < rows
                    ? static_cast<std::uint8_t>(x[count(row, k) + static_cast<std::size_t>(kk)])
                    : 0;
    }
  }
}

class GemvOnArray : public ::testing::TestWithParam<ArrayShape> {};

TEST_P(GemvOnArray, RandomAndAdversarialShapesMatchTheReference) {
  const int s = GetParam().rows, lanes = s * GetParam().cols;
  std::mt19937 rng(static_cast<unsigned>(s * 17 + 3));
  std::uniform_int_distribution<int> outputs(1, 3 * lanes + 5), depth(s, 400);
  for (int i = 0; i < 40; ++i) {
    const int n = i == 0 ? lanes : i == 1 ? lanes + 1 : outputs(rng);
    const int k = i == 2 ? s : i == 3 ? numerics::kMaxAccumulationDepth / 64 : depth(rng);
    const int lo = i == 4 ? -128 : -128, hi = i == 4 ? -128 : 127;
    const auto a = random_int8(count(1, k), rng, lo, hi), w = random_int8(count(n, k), rng, lo, hi);
    std::vector<std::int32_t> c(static_cast<std::size_t>(n), -7);
    GemmArgs g;
    g.a = a.data();
    g.w = w.data();
    g.m = 1;
    g.n = n;
    g.k = k;
    g.c_int32 = c.data();
    ASSERT_EQ(gemv(GetParam(), g), Status::kOk);
    const auto expected = models::int8_reference::gemm(a, w, 1, n, k);
    ASSERT_EQ(c, expected) << "N = " << n << ", K = " << k;
    // W as the vector unit reads it from memory: the device ABI's tiled layout.
    std::vector<std::uint8_t> tiled(sim_tiled_bytes(n, k, GetParam().cols));
    pack_tiled_for_test(w, n, k, GetParam().cols, tiled);
    g.w = reinterpret_cast<const std::int8_t*>(tiled.data());
    g.w_tile = GetParam().cols;
    std::fill(c.begin(), c.end(), -7);
    ASSERT_EQ(gemv(GetParam(), g), Status::kOk);
    ASSERT_EQ(c, expected) << "tiled W, N = " << n << ", K = " << k;
    g.w_tile = 0;
  }
}

INSTANTIATE_TEST_SUITE_P(Arrays, GemvOnArray, ::testing::ValuesIn(supported_arrays()),
                         [](const auto& test_info) {
                           return "a" + std::to_string(test_info.param.rows) + "x" +
                                  std::to_string(test_info.param.cols);
                         });

TEST(Gemv, EpiloguesEqualGemm) {
  std::mt19937 rng(4);
  const int n = 300, k = 77;
  const auto a = random_int8(count(1, k), rng), w = random_int8(count(n, k), rng);
  std::vector<float> row{0.03f}, cols(static_cast<std::size_t>(n));
  for (auto& s : cols) s = std::uniform_real_distribution<float>(1e-4f, 0.5f)(rng);
  for (Epilogue e : {Epilogue::kDequantize, Epilogue::kRequantize}) {
    std::vector<float> f_gemm(static_cast<std::size_t>(n)), f_gemv(f_gemm.size());
    std::vector<std::int8_t> i_gemm(f_gemm.size()), i_gemv(f_gemm.size());
    GemmArgs g;
    g.a = a.data();
    g.w = w.data();
    g.m = 1;
    g.n = n;
    g.k = k;
    g.epilogue = e;
    g.row_scale = row.data();
    g.col_scale = cols.data();
    g.c_fp32 = f_gemm.data();
    g.c_int8 = i_gemm.data();
    gemm_or_throw({8, 8}, g);
    g.c_fp32 = f_gemv.data();
    g.c_int8 = i_gemv.data();
    gemv_or_throw({8, 8}, g);
    EXPECT_EQ(f_gemm, f_gemv);
    EXPECT_EQ(i_gemm, i_gemv);
  }
}

TEST(Gemv, RejectsWhatVectorModeCannotRun) {
  std::vector<std::int8_t> a(64, 1), w(64, 1);
  std::vector<std::int32_t> c(64);
  GemmArgs g;
  g.a = a.data();
  g.w = w.data();
  g.m = 2;  // vector mode is one row
  g.n = 4;
  g.k = 16;
  g.c_int32 = c.data();
  EXPECT_EQ(gemv({8, 8}, g), Status::kBadShape);
  g.m = 1;
  g.k = 7;  // shorter than the array's rows
  EXPECT_EQ(gemv({8, 8}, g), Status::kBadShape);
  g.k = 8;
  EXPECT_EQ(gemv({8, 8}, g), Status::kOk);
  EXPECT_EQ(gemv({6, 6}, g), Status::kBadArray);
  g.w_tile = 8;  // tiled W is for the vector unit only
  EXPECT_EQ(gemm({8, 8}, g), Status::kBadShape);
  g.w_tile = -1;
  EXPECT_EQ(gemv({8, 8}, g), Status::kBadShape);
  g.w_tile = 0;
  EXPECT_THROW(gemv_or_throw({6, 6}, g), KernelError);
}

}  // namespace
}  // namespace tessera::hls
