#pragma once

// The int8 numeric contract of tessera (docs/numerics.md): the scalar helpers that
// the HLS kernels, the int8 reference and the host call, and that the RTL and the
// OpenCL C fallback mirror. Everything here is integer arithmetic or a single IEEE
// fp32 operation written out in order, so every implementation computes the same
// bits. Header-only, no allocation, synthesizable by an HLS tool.

#include <cmath>
#include <cstdint>
#include <cstring>

namespace tessera::numerics {

// ---------------------------------------------------------------------------------
// Quantization of fp32 tensors (host side)

// Quantized tensors use the symmetric range [-127, 127]; -128 never appears in a
// tensor tessera quantizes, but kernels accept it (any int8 is a valid input).
constexpr int kQuantMax = 127;

// Scale of a symmetric int8 quantization whose largest magnitude is max_abs.
inline float symmetric_scale(float max_abs) { return max_abs / static_cast<float>(kQuantMax); }

// q = clamp(round_half_away_from_zero(x / scale), -127, 127); a zero scale (an
// all-zero row) quantizes everything to 0.
inline std::int8_t quantize(float x, float scale) {
  if (scale == 0.0f) return 0;
  const float r = std::round(x / scale);
  if (!(r > -static_cast<float>(kQuantMax))) return -kQuantMax;  // also NaN
  if (r > static_cast<float>(kQuantMax)) return kQuantMax;
  return static_cast<std::int8_t>(r);
}

inline float dequantize(std::int32_t q, float scale) { return static_cast<float>(q) * scale; }

// ---------------------------------------------------------------------------------
// Integer accumulation

// Longest dot product of int8 values that cannot overflow an int32 accumulator,
// whatever the inputs: floor((2^31 - 1) / 128^2). Kernels refuse longer K.
constexpr std::int32_t kMaxAccumulationDepth = 131071;
static_assert(static_cast<std::int64_t>(kMaxAccumulationDepth) * 128 * 128 <= INT32_MAX, "");
static_assert(static_cast<std::int64_t>(kMaxAccumulationDepth + 1) * 128 * 128 > INT32_MAX, "");

// ---------------------------------------------------------------------------------
// Fixed point

static_assert((-3 >> 1) == -2, "tessera needs arithmetic right shifts");

// x / 2^shift rounded half up (ties toward +infinity) for |x| < 2^62; for shift <= 0,
// x * 2^-shift saturated to the int64 range.
constexpr std::int64_t rounding_shift_right(std::int64_t x, int shift) {
  if (shift <= 0) {
    if (x == 0) return 0;
    const int left = -shift;
    const std::int64_t limit = left >= 63 ? 0 : (INT64_MAX >> left);
    if (x > limit) return INT64_MAX;
    if (x < -limit) return INT64_MIN;
    return x * (std::int64_t{1} << left);
  }
  if (shift >= 63) return 0;
  return (x + (std::int64_t{1} << (shift - 1))) >> shift;
}

constexpr std::int32_t saturate_int32(std::int64_t x) {
  return x > INT32_MAX ? INT32_MAX : x < INT32_MIN ? INT32_MIN : static_cast<std::int32_t>(x);
}

constexpr std::int8_t saturate_int8(std::int64_t x) {
  return static_cast<std::int8_t>(x > 127 ? 127 : x < -128 ? -128 : x);
}

// A non-negative scale as an exact fixed-point number: value = mantissa * 2^exponent
// with mantissa < 2^24. An IEEE fp32 scale already is one (its significand and its
// exponent), so kernels receive fp32 scales and unpack them without rounding.
struct FixedScale {
  std::int64_t mantissa;
  int exponent;
};

inline FixedScale unpack_scale(float scale) {
  std::uint32_t bits;
  std::memcpy(&bits, &scale, sizeof bits);
  const int biased = static_cast<int>((bits >> 23) & 0xffu);
  const std::int64_t fraction = bits & 0x7fffffu;
  if (biased == 0) return {fraction, -149};  // zero and subnormals
  return {fraction | (std::int64_t{1} << 23), biased - 150};
}

// A valid scale is finite and not negative (kernels check their scale inputs).
inline bool is_valid_scale(float scale) { return std::isfinite(scale) && !(scale < 0.0f); }

// The product of two scales, rounded to a 24-bit mantissa (ties up).
inline FixedScale multiply_scales(float a, float b) {
  const FixedScale x = unpack_scale(a), y = unpack_scale(b);
  return {rounding_shift_right(x.mantissa * y.mantissa, 24), x.exponent + y.exponent + 24};
}

// round(value * scale * 2^extra_bits) for an integer value with |value| < 2^38
// (saturating when the scale is huge).
inline std::int64_t apply_scale(std::int64_t value, FixedScale scale, int extra_bits = 0) {
  return rounding_shift_right(value * scale.mantissa, -(scale.exponent + extra_bits));
}

// ---------------------------------------------------------------------------------
// GEMM epilogues: C (int32) -> fp32 or int8

// Dequantize: y = ((float)c * row_scale) * col_scale, two IEEE fp32 products.
inline float dequantize_product(std::int32_t c, float row_scale, float col_scale) {
  return (static_cast<float>(c) * row_scale) * col_scale;
}

// Requantize: q = saturate_int8(round(c * row_multiplier * col_multiplier)), the
// multipliers being the fp32 ratios (input scales / output scale) per row and column.
inline std::int8_t requantize_product(std::int32_t c, float row_multiplier, float col_multiplier) {
  return saturate_int8(apply_scale(c, multiply_scales(row_multiplier, col_multiplier)));
}

// ---------------------------------------------------------------------------------
// Attention (per query head, over context positions t = 0..T-1)
//
//   S_t   = sum_i q_i k_ti                                   int32
//   l_t   = saturate_int32(round(S_t * s_q' * s_k[t] * 2^8)) base-2 logit, 8 fraction bits
//           where s_q' = s_q * log2(e) / sqrt(head_size)     (attention_query_scale)
//   e_t   = kExp2Table[d & 255] >> (d >> 8), d = max_l - l_t  2^-(d/256) in Q16
//   w_t   = round(e_t * m_v[t] / 2^(E - x_v[t] + 24))        e_t * s_v[t], common exponent
//           with s_v[t] = m_v[t] * 2^x_v[t], E = max_t x_v[t]
//   u_t   = (w_t * floor(255 * 2^24 / max_w) + 2^23) >> 24   8-bit weights, max -> 255
//   acc_i = sum_t u_t v_ti                                   int32
//   o_i   = acc_i * max_w * 2^(E + 24) / (255 * sum_t e_t)   attention_output_scale

constexpr int kLogitFractionBits = 8;
constexpr int kExpFractionBits = 16;
constexpr int kProbabilityMax = 255;  // 8-bit attention weights
// Context limit of one attention call: keeps sum_t e_t < 2^32 and |acc| < 2^31.
constexpr std::int32_t kMaxAttentionContext = 65535;

// kExp2Table[j] = round(2^16 * 2^(-j/256)).
constexpr std::uint32_t kExp2Table[256] = {
    65536, 65359, 65182, 65006, 64830, 64655, 64480, 64306, 64132, 63958, 63785, 63613, 63441,
    63269, 63098, 62928, 62757, 62588, 62419, 62250, 62081, 61914, 61746, 61579, 61413, 61247,
    61081, 60916, 60751, 60587, 60423, 60260, 60097, 59934, 59772, 59611, 59449, 59289, 59128,
    58968, 58809, 58650, 58491, 58333, 58176, 58018, 57861, 57705, 57549, 57393, 57238, 57083,
    56929, 56775, 56622, 56468, 56316, 56163, 56012, 55860, 55709, 55558, 55408, 55258, 55109,
    54960, 54811, 54663, 54515, 54368, 54221, 54074, 53928, 53782, 53637, 53492, 53347, 53203,
    53059, 52916, 52773, 52630, 52488, 52346, 52204, 52063, 51922, 51782, 51642, 51502, 51363,
    51224, 51085, 50947, 50810, 50672, 50535, 50399, 50262, 50126, 49991, 49856, 49721, 49586,
    49452, 49319, 49185, 49052, 48920, 48787, 48655, 48524, 48393, 48262, 48131, 48001, 47871,
    47742, 47613, 47484, 47356, 47228, 47100, 46973, 46846, 46719, 46593, 46467, 46341, 46216,
    46091, 45966, 45842, 45718, 45594, 45471, 45348, 45225, 45103, 44981, 44859, 44738, 44617,
    44497, 44376, 44256, 44137, 44017, 43898, 43780, 43661, 43543, 43425, 43308, 43191, 43074,
    42958, 42841, 42726, 42610, 42495, 42380, 42265, 42151, 42037, 41923, 41810, 41697, 41584,
    41472, 41360, 41248, 41136, 41025, 40914, 40804, 40693, 40583, 40473, 40364, 40255, 40146,
    40037, 39929, 39821, 39714, 39606, 39499, 39392, 39286, 39180, 39074, 38968, 38863, 38757,
    38653, 38548, 38444, 38340, 38236, 38133, 38030, 37927, 37824, 37722, 37620, 37518, 37417,
    37316, 37215, 37114, 37014, 36914, 36814, 36715, 36615, 36516, 36417, 36319, 36221, 36123,
    36025, 35928, 35831, 35734, 35637, 35541, 35445, 35349, 35253, 35158, 35063, 34968, 34874,
    34779, 34685, 34591, 34498, 34405, 34312, 34219, 34126, 34034, 33942, 33850, 33759, 33667,
    33576, 33486, 33395, 33305, 33215, 33125, 33035, 32946, 32857,
};

inline float attention_query_scale(float q_scale, int head_size) {
  const auto log2e_over_sqrt =
      static_cast<float>(1.4426950408889634 / std::sqrt(static_cast<double>(head_size)));
  return q_scale * log2e_over_sqrt;
}

inline std::int32_t attention_logit(std::int32_t score, FixedScale score_scale) {
  return saturate_int32(apply_scale(score, score_scale, kLogitFractionBits));
}

// 2^(-distance / 256) in Q16 for a non-negative logit distance.
inline std::uint32_t exp2_negative(std::int64_t distance) {
  const std::int64_t whole = distance >> kLogitFractionBits;
  if (whole > kExpFractionBits) return 0;
  return kExp2Table[distance & 0xff] >> whole;
}

// The attention weight before 8-bit quantization: e * s_v with the common exponent E.
inline std::int64_t value_weight(std::uint32_t e, FixedScale value_scale, int max_exponent) {
  return rounding_shift_right(static_cast<std::int64_t>(e) * value_scale.mantissa,
                              max_exponent - value_scale.exponent + 24);
}

inline std::uint64_t probability_reciprocal(std::int64_t max_weight) {
  return max_weight <= 0 ? 0
                         : (static_cast<std::uint64_t>(kProbabilityMax) << 24) /
                               static_cast<std::uint64_t>(max_weight);
}

inline std::uint8_t quantize_probability(std::int64_t weight, std::uint64_t reciprocal) {
  return static_cast<std::uint8_t>(
      (static_cast<std::uint64_t>(weight) * reciprocal + (std::uint64_t{1} << 23)) >> 24);
}

// What the host needs to turn one head's int32 accumulators into fp32.
struct AttentionNorm {
  std::int64_t max_weight = 0;  // max_t w_t
  std::uint64_t exp_sum = 0;    // sum_t e_t (Q16)
  std::int32_t exponent = 0;    // E + 24
};

inline float attention_output_scale(const AttentionNorm& n) {
  if (n.max_weight == 0 || n.exp_sum == 0) return 0.0f;
  return static_cast<float>(
      static_cast<double>(n.max_weight) * std::ldexp(1.0, n.exponent) /
      (static_cast<double>(kProbabilityMax) * static_cast<double>(n.exp_sum)));
}

}  // namespace tessera::numerics
