// The scalar helpers of the int8 contract against their definitions.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "tessera/numerics/int8.hpp"

namespace tessera::numerics {
namespace {

TEST(Numerics, QuantizeRoundsHalfAwayFromZeroAndSaturates) {
  EXPECT_EQ(quantize(0.5f, 1.0f), 1);
  EXPECT_EQ(quantize(-0.5f, 1.0f), -1);
  EXPECT_EQ(quantize(1.49f, 1.0f), 1);
  EXPECT_EQ(quantize(300.0f, 1.0f), 127);
  EXPECT_EQ(quantize(-300.0f, 1.0f), -127);
  EXPECT_EQ(quantize(5.0f, 0.0f), 0);
  EXPECT_EQ(quantize(std::nanf(""), 1.0f), -127);
  EXPECT_EQ(symmetric_scale(127.0f), 1.0f);
}

TEST(Numerics, RoundingShiftRightTiesGoUp) {
  EXPECT_EQ(rounding_shift_right(5, 1), 3);    // 2.5 -> 3
  EXPECT_EQ(rounding_shift_right(-5, 1), -2);  // -2.5 -> -2
  EXPECT_EQ(rounding_shift_right(-6, 1), -3);
  EXPECT_EQ(rounding_shift_right(7, 2), 2);  // 1.75
  EXPECT_EQ(rounding_shift_right(3, 0), 3);
  EXPECT_EQ(rounding_shift_right(3, -2), 12);
  EXPECT_EQ(rounding_shift_right(1, 70), 0);
  EXPECT_EQ(rounding_shift_right(INT64_MAX / 2, -4), INT64_MAX);
  EXPECT_EQ(rounding_shift_right(-(INT64_MAX / 2), -4), INT64_MIN);
}

TEST(Numerics, Saturation) {
  EXPECT_EQ(saturate_int8(200), 127);
  EXPECT_EQ(saturate_int8(-200), -128);
  EXPECT_EQ(saturate_int32(std::int64_t{1} << 40), INT32_MAX);
  EXPECT_EQ(saturate_int32(-(std::int64_t{1} << 40)), INT32_MIN);
}

TEST(Numerics, UnpackScaleIsExact) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> exponent(-40.0f, 20.0f);
  for (int i = 0; i < 10000; ++i) {
    const float s = std::exp2(exponent(rng));
    const FixedScale f = unpack_scale(s);
    EXPECT_LT(f.mantissa, std::int64_t{1} << 24);
    EXPECT_EQ(std::ldexp(static_cast<double>(f.mantissa), f.exponent), static_cast<double>(s));
  }
  EXPECT_EQ(unpack_scale(0.0f).mantissa, 0);
  const float tiny = std::ldexp(1.0f, -140);  // subnormal
  EXPECT_EQ(
      std::ldexp(static_cast<double>(unpack_scale(tiny).mantissa), unpack_scale(tiny).exponent),
      static_cast<double>(tiny));
  EXPECT_FALSE(is_valid_scale(-1.0f));
  EXPECT_FALSE(is_valid_scale(INFINITY));
  EXPECT_FALSE(is_valid_scale(std::nanf("")));
  EXPECT_TRUE(is_valid_scale(0.0f));
}

TEST(Numerics, ScaleProductsAreAccurateTo24Bits) {
  std::mt19937 rng(2);
  std::uniform_real_distribution<float> u(1e-4f, 10.0f);
  for (int i = 0; i < 10000; ++i) {
    const float a = u(rng), b = u(rng);
    const FixedScale p = multiply_scales(a, b);
    const double exact = static_cast<double>(a) * static_cast<double>(b);
    EXPECT_NEAR(std::ldexp(static_cast<double>(p.mantissa), p.exponent) / exact, 1.0, 1.2e-7);
  }
}

TEST(Numerics, ApplyScaleRounds) {
  // 1000 * 0.001 * 2^8 = 256 exactly up to the scale's fp32 rounding.
  EXPECT_EQ(apply_scale(1000, unpack_scale(0.001f), 8), 256);
  EXPECT_EQ(apply_scale(3, unpack_scale(0.5f)), 2);    // 1.5 -> 2
  EXPECT_EQ(apply_scale(-3, unpack_scale(0.5f)), -1);  // -1.5 -> -1
}

TEST(Numerics, RequantizeMatchesRealArithmetic) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<std::int32_t> acc(-2000000, 2000000);
  std::uniform_real_distribution<float> m(1e-6f, 1e-4f);
  for (int i = 0; i < 10000; ++i) {
    const std::int32_t c = acc(rng);
    const float r = m(rng), s = m(rng) * 1000.0f;
    const double exact = static_cast<double>(c) * static_cast<double>(r) * static_cast<double>(s);
    const int q = requantize_product(c, r, s);
    if (std::fabs(exact) < 127.0) {
      EXPECT_LE(std::fabs(q - exact), 0.5 + 1e-5) << c << " " << r << " " << s;
    } else {
      EXPECT_EQ(q, exact > 0 ? 127 : -128);
    }
  }
}

TEST(Numerics, Exp2TableMatchesItsFormula) {
  for (int j = 0; j < 256; ++j) {
    EXPECT_EQ(kExp2Table[j],
              static_cast<std::uint32_t>(std::lround(65536.0 * std::exp2(-j / 256.0))))
        << j;
  }
  EXPECT_EQ(exp2_negative(0), 65536u);
  EXPECT_EQ(exp2_negative(256), 32768u);
  EXPECT_EQ(exp2_negative(256 * 17), 0u);
  EXPECT_EQ(exp2_negative(std::int64_t{1} << 40), 0u);
}

TEST(Numerics, QueryScaleFoldsLog2eOverSqrtHeadSize) {
  EXPECT_FLOAT_EQ(attention_query_scale(1.0f, 16), static_cast<float>(1.4426950408889634 / 4.0));
}

TEST(Numerics, ProbabilityQuantizationMapsMaxTo255) {
  const std::uint64_t r = probability_reciprocal(1000);
  EXPECT_EQ(quantize_probability(1000, r), 255);
  EXPECT_EQ(quantize_probability(0, r), 0);
  EXPECT_NEAR(quantize_probability(500, r), 127.5, 0.5);
  EXPECT_EQ(probability_reciprocal(0), 0u);
  for (std::int64_t max = 1; max < (1 << 17); max = max * 3 + 1) {
    EXPECT_EQ(quantize_probability(max, probability_reciprocal(max)), 255) << max;
  }
}

}  // namespace
}  // namespace tessera::numerics
