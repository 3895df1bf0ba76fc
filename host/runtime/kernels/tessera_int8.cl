// The int8 kernels of the CPU fallback device (PoCL), in OpenCL C. They compute the
// same integers as the HLS kernels and the RTL: this is a port of the scalar helpers
// of models/include/tessera/numerics/int8.hpp (docs/numerics.md), step for step.
// The argument lists are those of the tessera built-in kernels (docs/opencl.md).

// The contract's exp2 table, constant uint kExp2Table[256]: the build puts
// numerics::kExp2Table here (the full kernels are share/tessera/kernels/tessera_int8.cl).
@TESSERA_EXP2_TABLE@

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

// The sum of a vector's lanes (integer sums: any order gives the same result).
int sum_lanes(int16 v) {
  const int8 h = v.lo + v.hi;
  const int4 q = h.lo + h.hi;
  const int2 d = q.lo + q.hi;
  return d.x + d.y;
}

// The products of sixteen int8 pairs, x[16 b..] * y[16 b..]: an int8 product fits a
// short (at most 128 * 128).
int16 products16(global const char* x, global const char* y, int b) {
  return convert_int16(convert_short16(vload16(b, x)) * convert_short16(vload16(b, y)));
}

// How far ahead of its reads dot_s8 asks for y. One core computes a row of W faster than
// the hardware prefetcher streams it in from DRAM; a page ahead keeps the loads hitting
// the cache (a GEMV of stories110M's shape: 5.7 GB/s of W without, 9.5-12 with, on
// this machine's Xeon; x and the rows of W that follow are contiguous).
#define PREFETCH_DISTANCE 4096

// sum_i x[i] * y[i] over k int8s, 64 bytes per step; each int lane sums at most K / 16
// products.
int dot_s8(global const char* x, global const char* y, uint k) {
  int16 lanes = 0, more = 0;
  uint i = 0;
  for (; i + 64 <= k; i += 64) {
#if defined(__has_builtin) && __has_builtin(__builtin_prefetch)
    __builtin_prefetch(y + i + PREFETCH_DISTANCE);
#endif
    lanes += products16(x + i, y + i, 0) + products16(x + i, y + i, 2);
    more += products16(x + i, y + i, 1) + products16(x + i, y + i, 3);
  }
  for (; i + 16 <= k; i += 16) lanes += products16(x + i, y + i, 0);
  int sum = sum_lanes(lanes + more);
  for (; i < k; ++i) sum += (int)x[i] * (int)y[i];
  return sum;
}

// C[m][n] = sum_k A[m][k] * W[n][k]; one work-item per element of C (items past its
// edges return).
kernel void tessera_gemm_s8s32(global const char* a, global const char* w, global int* c,
                               uint m, uint n, uint k) {
  const size_t row = get_global_id(0), col = get_global_id(1);
  if (row >= m || col >= n) return;
  const int sum = dot_s8(a + row * k, w + col * k, k);
  c[row * n + col] = sum;
}

// Two or three GEMMs of one A (q/k/v, gate/up) in one launch, one work-item per
// element of their outputs side by side (n0 + n1 + n2 columns); out holds each
// call's C[m][n_i] after the previous one's (n2 = 0 for two calls). Not a tessera
// built-in: the runtime launches it on the CPU fallback when the program has it, and
// one tessera_gemm_s8s32 per call otherwise.
kernel void tessera_gemm_batch_s8s32(global const char* a, global const char* w0,
                                     global const char* w1, global const char* w2,
                                     global int* out, uint m, uint n0, uint n1, uint n2,
                                     uint k) {
  const size_t row = get_global_id(0), joined = get_global_id(1);
  if (row >= m || joined >= (size_t)n0 + n1 + n2) return;
  global const char* w = w0;
  global int* c = out;
  size_t col = joined;
  uint n = n0;
  if (col >= n0) {
    col -= n0;
    w = w1;
    c += (size_t)m * n0;
    n = n1;
    if (col >= n1) {
      col -= n1;
      w = w2;
      c += (size_t)m * n1;
      n = n2;
    }
  }
  const int sum = dot_s8(a + row * k, w + col * k, k);
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
// (max_weight, exp_sum, exponent) per (query, head). The first LOGITS_KEPT
// positions' logits are kept between the three passes; later ones are recomputed in
// each pass (the runtime launches one work-item per work-group, so the array is one
// per work-item at a time).
#define LOGITS_KEPT 512

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

  int kept[LOGITS_KEPT];
  int max_logit = INT_MIN;
  int max_exponent = -149;
  for (uint t = 0; t < positions; ++t) {
    const size_t row = (size_t)t * n_kv_heads + kv_head;
    const int logit = logit_at(qv, qs, k, k_scale, row, head_size);
    if (t < LOGITS_KEPT) kept[t] = logit;
    max_logit = max(max_logit, logit);
    max_exponent = max(max_exponent, unpack_scale(v_scale[row]).exponent);
  }

  ulong exp_sum = 0;
  long max_weight = 0;
  for (uint t = 0; t < positions; ++t) {
    const size_t row = (size_t)t * n_kv_heads + kv_head;
    const int logit = t < LOGITS_KEPT ? kept[t] : logit_at(qv, qs, k, k_scale, row, head_size);
    const uint e = exp2_negative((long)max_logit - logit);
    exp_sum += e;
    max_weight = max(max_weight, value_weight(e, unpack_scale(v_scale[row]), max_exponent));
  }

  const ulong reciprocal = max_weight <= 0 ? 0 : ((ulong)255 << 24) / (ulong)max_weight;
  global int* acc = out + q_row * head_size;
  for (uint i = 0; i < head_size; ++i) acc[i] = 0;
  for (uint t = 0; t < positions; ++t) {
    const size_t row = (size_t)t * n_kv_heads + kv_head;
    const int logit = t < LOGITS_KEPT ? kept[t] : logit_at(qv, qs, k, k_scale, row, head_size);
    const uint e = exp2_negative((long)max_logit - logit);
    const long weight = value_weight(e, unpack_scale(v_scale[row]), max_exponent);
    const int p = (int)(uchar)(((ulong)weight * reciprocal + ((ulong)1 << 23)) >> 24);
    for (uint i = 0; i < head_size; ++i) acc[i] += p * (int)v[row * head_size + i];
  }
  norm[q_row * 3 + 0] = max_weight;
  norm[q_row * 3 + 1] = (long)exp_sum;
  norm[q_row * 3 + 2] = max_exponent + 24;
}
