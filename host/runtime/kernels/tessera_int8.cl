// The int8 kernels of the CPU fallback device (PoCL), in OpenCL C. They compute the
// same integers as the HLS kernels and the RTL: this is a port of the scalar helpers
// of models/include/tessera/numerics/int8.hpp (docs/numerics.md), step for step.
// The argument lists are those of the tessera built-in kernels (docs/opencl.md).

// kExp2Table[j] = round(2^16 * 2^(-j/256)), as numerics::kExp2Table (a test keeps
// the two equal).
constant uint kExp2Table[256] = {65536, 65359, 65182, 65006, 64830, 64655, 64480, 64306, 64132, 63958, 63785, 63613, 63441,
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
    33576, 33486, 33395, 33305, 33215, 33125, 33035, 32946, 32857,};

long rounding_shift_right(long x, int shift) {
  if (shift <= 0) {
    if (x == 0) return 0;
    const int left = -shift;
    const long limit = left >= 63 ? 0 : (LONG_MAX >> left);
    if (x > limit) return LONG_MAX;
    if (x < -limit) return LONG_MIN;
    return x * ((long)1 << left);
  }
  if (shift >= 63) return 0;
  return (x + ((long)1 << (shift - 1))) >> shift;
}

int saturate_int32(long x) { return x > INT_MAX ? INT_MAX : x < INT_MIN ? INT_MIN : (int)x; }

// A non-negative fp32 scale as mantissa * 2^exponent, exactly.
typedef struct {
  long mantissa;
  int exponent;
} FixedScale;

FixedScale unpack_scale(float scale) {
  const uint bits = as_uint(scale);
  const int biased = (int)((bits >> 23) & 0xffu);
  const long fraction = bits & 0x7fffffu;
  FixedScale s;
  if (biased == 0) {
    s.mantissa = fraction;
    s.exponent = -149;
  } else {
    s.mantissa = fraction | ((long)1 << 23);
    s.exponent = biased - 150;
  }
  return s;
}

FixedScale multiply_scales(float a, float b) {
  const FixedScale x = unpack_scale(a), y = unpack_scale(b);
  FixedScale s;
  s.mantissa = rounding_shift_right(x.mantissa * y.mantissa, 24);
  s.exponent = x.exponent + y.exponent + 24;
  return s;
}

long apply_scale(long value, FixedScale scale, int extra_bits) {
  return rounding_shift_right(value * scale.mantissa, -(scale.exponent + extra_bits));
}

int attention_logit(int score, FixedScale score_scale) {
  return saturate_int32(apply_scale(score, score_scale, 8));
}

uint exp2_negative(long distance) {
  const long whole = distance >> 8;
  if (whole > 16) return 0;
  return kExp2Table[distance & 0xff] >> whole;
}

long value_weight(uint e, FixedScale value_scale, int max_exponent) {
  return rounding_shift_right((long)e * value_scale.mantissa,
                              max_exponent - value_scale.exponent + 24);
}

// C[m][n] = sum_k A[m][k] * W[n][k]; one work-item per element of C.
kernel void tessera_gemm_s8s32(global const char* a, global const char* w, global int* c,
                               uint m, uint n, uint k) {
  const size_t row = get_global_id(0), col = get_global_id(1);
  if (row >= m || col >= n) return;
  global const char* x = a + row * k;
  global const char* y = w + col * k;
  int sum = 0;
  for (uint i = 0; i < k; ++i) sum += (int)x[i] * (int)y[i];
  c[row * n + col] = sum;
}

// The base-2 logit of position row's key for a query head.
int logit_at(global const char* qv, float qs, global const char* k, global const float* k_scale,
             size_t row, uint head_size) {
  int score = 0;
  for (uint i = 0; i < head_size; ++i) score += (int)qv[i] * (int)k[row * head_size + i];
  return attention_logit(score, multiply_scales(qs, k_scale[row]));
}

// Grouped-query attention with the contract's integer softmax; one work-item per
// (query, head). Layouts as hls::AttentionArgs: q [query][head][i], k and v
// [position][kv head][i], scales per row; out [query][head][i]; norm three longs
// (max_weight, exp_sum, exponent) per (query, head). The positions' logits and
// weights are recomputed in each pass instead of stored.
kernel void tessera_attention_s8(global const char* q, global const float* q_scale,
                                 global const char* k, global const float* k_scale,
                                 global const char* v, global const float* v_scale,
                                 global int* out, global long* norm, uint n_queries,
                                 uint first_position, uint n_heads, uint n_kv_heads,
                                 uint head_size) {
  const uint query = get_global_id(0), head = get_global_id(1);
  if (query >= n_queries || head >= n_heads) return;
  const uint kv_head = head / (n_heads / n_kv_heads);
  const uint positions = first_position + query + 1;
  const size_t q_row = (size_t)query * n_heads + head;
  global const char* qv = q + q_row * head_size;
  const float qs = q_scale[q_row];

  int max_logit = INT_MIN;
  int max_exponent = -149;
  for (uint t = 0; t < positions; ++t) {
    const size_t row = (size_t)t * n_kv_heads + kv_head;
    const int logit = logit_at(qv, qs, k, k_scale, row, head_size);
    max_logit = max(max_logit, logit);
    max_exponent = max(max_exponent, unpack_scale(v_scale[row]).exponent);
  }

  ulong exp_sum = 0;
  long max_weight = 0;
  for (uint t = 0; t < positions; ++t) {
    const size_t row = (size_t)t * n_kv_heads + kv_head;
    const int logit = logit_at(qv, qs, k, k_scale, row, head_size);
    const uint e = exp2_negative((long)max_logit - logit);
    exp_sum += e;
    max_weight = max(max_weight, value_weight(e, unpack_scale(v_scale[row]), max_exponent));
  }

  const ulong reciprocal = max_weight <= 0 ? 0 : ((ulong)255 << 24) / (ulong)max_weight;
  global int* acc = out + q_row * head_size;
  for (uint i = 0; i < head_size; ++i) acc[i] = 0;
  for (uint t = 0; t < positions; ++t) {
    const size_t row = (size_t)t * n_kv_heads + kv_head;
    const int logit = logit_at(qv, qs, k, k_scale, row, head_size);
    const uint e = exp2_negative((long)max_logit - logit);
    const long weight = value_weight(e, unpack_scale(v_scale[row]), max_exponent);
    const int p = (int)(uchar)(((ulong)weight * reciprocal + ((ulong)1 << 23)) >> 24);
    for (uint i = 0; i < head_size; ++i) acc[i] += p * (int)v[row * head_size + i];
  }
  norm[q_row * 3 + 0] = max_weight;
  norm[q_row * 3 + 1] = (long)exp_sum;
  norm[q_row * 3 + 2] = max_exponent + 24;
}
