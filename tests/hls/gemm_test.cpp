// gemm_i8 (HLS C model) against the nested-loop int8 reference, bit for bit.
#include <gtest/gtest.h>

#include <random>

#include "support/random_data.hpp"
#include "tessera/hls/kernels.hpp"
#include "tessera/models/int8_reference.hpp"

namespace tessera::hls {
namespace {

using models::int8_reference::gemm;

using testing::random_int8;

std::vector<std::int32_t> run_int32(ArrayShape array, const std::vector<std::int8_t>& a,
                                    const std::vector<std::int8_t>& w, int m, int n, int k) {
  std::vector<std::int32_t> c(static_cast<std::size_t>(m) * static_cast<std::size_t>(n), -7);
  GemmArgs g;
  g.a = a.data();
  g.w = w.data();
  g.m = m;
  g.n = n;
  g.k = k;
  g.c_int32 = c.data();
  EXPECT_EQ(gemm(array, g), Status::kOk);
  return c;
}

std::size_t count(int m, int n) {
  return static_cast<std::size_t>(m) * static_cast<std::size_t>(n);
}

class GemmOnArray : public ::testing::TestWithParam<ArrayShape> {};

TEST_P(GemmOnArray, RandomShapesMatchTheReference) {
  std::mt19937 rng(static_cast<unsigned>(GetParam().rows * 131 + 7));
  std::uniform_int_distribution<int> dim(1, 3 * GetParam().rows + 5);
  std::uniform_int_distribution<int> depth(1, 300);
  for (int i = 0; i < 120; ++i) {
    const int m = dim(rng), n = dim(rng), k = depth(rng);
    const auto a = random_int8(count(m, k), rng), w = random_int8(count(n, k), rng);
    ASSERT_EQ(run_int32(GetParam(), a, w, m, n, k), gemm(a, w, m, n, k))
        << m << "x" << n << "x" << k << " on " << to_string(GetParam());
  }
}

TEST_P(GemmOnArray, AdversarialValues) {
  std::mt19937 rng(5);
  const int r = GetParam().rows;
  for (auto [m, n, k] : {std::tuple{1, 1, 1}, std::tuple{r, r, 1}, std::tuple{r + 1, r - 1, 65},
                         std::tuple{1, 3 * r + 1, 129}, std::tuple{2 * r, 1, 64}}) {
    for (int fill : {127, -127, -128, 0}) {
      const std::vector<std::int8_t> a(count(m, k), static_cast<std::int8_t>(fill));
      const std::vector<std::int8_t> w(count(n, k),
                                       static_cast<std::int8_t>(fill == 0 ? 5 : -fill));
      ASSERT_EQ(run_int32(GetParam(), a, w, m, n, k), gemm(a, w, m, n, k)) << fill;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Arrays, GemmOnArray, ::testing::ValuesIn(supported_arrays()),
                         [](const auto& test_info) {
                           return "a" + std::to_string(test_info.param.rows) + "x" +
                                  std::to_string(test_info.param.cols);
                         });

TEST(Gemm, AccumulationLimitIsExactAndEnforced) {
  const int k = numerics::kMaxAccumulationDepth;
  const std::vector<std::int8_t> a(static_cast<std::size_t>(k), -128),
      w(2 * static_cast<std::size_t>(k), -128);
  const auto c = run_int32(kDefaultArray, a, w, 1, 2, k);
  EXPECT_EQ(c[0], static_cast<std::int32_t>(static_cast<std::int64_t>(k) * 16384));
  EXPECT_EQ(c, gemm(a, w, 1, 2, k));
  std::vector<std::int32_t> out(2);
  GemmArgs g;
  g.a = a.data();
  g.w = w.data();
  g.m = 1;
  g.n = 1;
  g.k = k + 1;
  g.c_int32 = out.data();
  EXPECT_EQ(gemm(kDefaultArray, g), Status::kAccumulationTooDeep);
  EXPECT_THROW(gemm_or_throw(kDefaultArray, g), KernelError);
}

TEST(Gemm, DequantizeAndRequantizeEpiloguesApplyTheContract) {
  std::mt19937 rng(9);
  const int m = 5, n = 37, k = 100;
  const auto a = random_int8(count(m, k), rng), w = random_int8(count(n, k), rng);
  std::uniform_real_distribution<float> scale(1e-4f, 1e-2f);
  std::vector<float> rows(m), cols(n);
  for (auto& s : rows) s = scale(rng);
  for (auto& s : cols) s = scale(rng);
  const auto exact = gemm(a, w, m, n, k);
  std::vector<float> fp32(count(m, n));
  std::vector<std::int8_t> int8(count(m, n));
  GemmArgs g;
  g.a = a.data();
  g.w = w.data();
  g.m = m;
  g.n = n;
  g.k = k;
  g.row_scale = rows.data();
  g.col_scale = cols.data();
  g.epilogue = Epilogue::kDequantize;
  g.c_fp32 = fp32.data();
  ASSERT_EQ(gemm({8, 8}, g), Status::kOk);
  g.epilogue = Epilogue::kRequantize;
  g.c_int8 = int8.data();
  std::vector<float> multipliers(cols);
  for (auto& s : multipliers) s *= 50.0f;  // spread results over the int8 range
  g.col_scale = multipliers.data();
  ASSERT_EQ(gemm({8, 8}, g), Status::kOk);
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      const std::size_t at = count(i, n) + static_cast<std::size_t>(j);
      EXPECT_EQ(fp32[at], numerics::dequantize_product(exact[at], rows[static_cast<std::size_t>(i)],
                                                       cols[static_cast<std::size_t>(j)]));
      EXPECT_EQ(int8[at], numerics::requantize_product(exact[at], rows[static_cast<std::size_t>(i)],
                                                       multipliers[static_cast<std::size_t>(j)]));
    }
  }
}

TEST(Gemm, RejectsInvalidArguments) {
  std::vector<std::int8_t> a(16, 1), w(16, 1);
  std::vector<std::int32_t> c(16);
  std::vector<float> bad_scale(4, std::nanf("")), good(4, 1.0f);
  std::vector<float> out(16);
  GemmArgs g;
  g.a = a.data();
  g.w = w.data();
  g.m = 4;
  g.n = 4;
  g.k = 4;
  g.c_int32 = c.data();
  EXPECT_EQ(gemm({3, 3}, g), Status::kBadArray);
  EXPECT_EQ(gemm({0, 16}, g), Status::kBadArray);
  GemmArgs zero = g;
  zero.m = 0;
  EXPECT_EQ(gemm(kDefaultArray, zero), Status::kBadShape);
  GemmArgs null_out = g;
  null_out.c_int32 = nullptr;
  EXPECT_EQ(gemm(kDefaultArray, null_out), Status::kBadShape);
  GemmArgs nan = g;
  nan.epilogue = Epilogue::kDequantize;
  nan.c_fp32 = out.data();
  nan.row_scale = good.data();
  nan.col_scale = bad_scale.data();
  EXPECT_EQ(gemm(kDefaultArray, nan), Status::kBadScale);
  EXPECT_THROW(parse_array_shape("0x16"), std::invalid_argument);
  EXPECT_THROW(parse_array_shape("16"), std::invalid_argument);
  EXPECT_THROW(parse_array_shape("16x16x"), std::invalid_argument);
  EXPECT_EQ(parse_array_shape("8x8").rows, 8);
}

}  // namespace
}  // namespace tessera::hls
