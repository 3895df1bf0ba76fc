#pragma once

// int8 grouped-query causal attention over an int8 KV cache (C model), computing
// exactly the contract of docs/numerics.md: integer scores, fixed-point base-2
// logits, a table-driven exp2, 8-bit attention weights with the per-token value
// scales folded in, and an int32 P·V accumulation.
//
// Queries j = 0..n_queries-1 sit at positions first_position + j and attend to
// positions 0..first_position + j: one call serves a decode step (n_queries = 1)
// or a prefill block. Query head h reads key/value head h / (n_heads / n_kv_heads).

#include <cstddef>
#include <cstdint>

#include "tessera/hls/status.hpp"
#include "tessera/numerics/int8.hpp"

namespace tessera::hls {

struct AttentionArgs {
  const std::int8_t* q = nullptr;  // [n_queries][n_heads][head_size]
  const float* q_scale = nullptr;  // [n_queries][n_heads], numerics::attention_query_scale
  const std::int8_t* k = nullptr;  // [positions][n_kv_heads][head_size]
  const float* k_scale = nullptr;  // [positions][n_kv_heads]
  const std::int8_t* v = nullptr;  // [positions][n_kv_heads][head_size]
  const float* v_scale = nullptr;  // [positions][n_kv_heads]
  int n_queries = 0, first_position = 0, n_heads = 0, n_kv_heads = 0, head_size = 0;
  std::int32_t* out = nullptr;              // [n_queries][n_heads][head_size]
  numerics::AttentionNorm* norm = nullptr;  // [n_queries][n_heads]
};

Status validate(const AttentionArgs& args, int head_size_max, int context_max);

namespace detail {

template <int HEAD_MAX, int CONTEXT_MAX>
void attend_one_head(const AttentionArgs& g, int query, int head) {
  const int hs = g.head_size;
  const int kv_head = head / (g.n_heads / g.n_kv_heads);
  const int positions = g.first_position + query + 1;
  const long q_offset = (static_cast<long>(query) * g.n_heads + head) * hs;
  const float q_scale = g.q_scale[static_cast<long>(query) * g.n_heads + head];

  std::int8_t q[static_cast<std::size_t>(HEAD_MAX)];
#pragma HLS ARRAY_PARTITION variable = q complete
  for (int i = 0; i < hs; ++i) q[i] = g.q[q_offset + i];

  // Pass 1: base-2 fixed-point logits and their maximum.
  std::int32_t logits[static_cast<std::size_t>(CONTEXT_MAX)];
  std::int32_t max_logit = INT32_MIN;
  int max_exponent = -149;
scores:
  for (int t = 0; t < positions; ++t) {
#pragma HLS PIPELINE II = 1
    const long row = static_cast<long>(t) * g.n_kv_heads + kv_head;
    std::int32_t score = 0;
    for (int i = 0; i < hs; ++i) {
#pragma HLS UNROLL factor = 16
      score += static_cast<std::int32_t>(q[i]) * g.k[row * hs + i];
    }
    const std::int32_t logit =
        numerics::attention_logit(score, numerics::multiply_scales(q_scale, g.k_scale[row]));
    logits[t] = logit;
    if (logit > max_logit) max_logit = logit;
    const int exponent = numerics::unpack_scale(g.v_scale[row]).exponent;
    if (exponent > max_exponent) max_exponent = exponent;
  }

  // Pass 2: exp2 from the table, the value-scaled weights and their maximum.
  std::int64_t weights[static_cast<std::size_t>(CONTEXT_MAX)];
  std::uint64_t exp_sum = 0;
  std::int64_t max_weight = 0;
weigh:
  for (int t = 0; t < positions; ++t) {
#pragma HLS PIPELINE II = 1
    const long row = static_cast<long>(t) * g.n_kv_heads + kv_head;
    const std::uint32_t e =
        numerics::exp2_negative(static_cast<std::int64_t>(max_logit) - logits[t]);
    exp_sum += e;
    const std::int64_t w =
        numerics::value_weight(e, numerics::unpack_scale(g.v_scale[row]), max_exponent);
    weights[t] = w;
    if (w > max_weight) max_weight = w;
  }

  // Pass 3: 8-bit weights times int8 values, int32 accumulation.
  const std::uint64_t reciprocal = numerics::probability_reciprocal(max_weight);
  std::int32_t acc[static_cast<std::size_t>(HEAD_MAX)];
#pragma HLS ARRAY_PARTITION variable = acc complete
  for (int i = 0; i < hs; ++i) acc[i] = 0;
accumulate:
  for (int t = 0; t < positions; ++t) {
#pragma HLS PIPELINE II = 1
    const long row = static_cast<long>(t) * g.n_kv_heads + kv_head;
    const std::int32_t p = numerics::quantize_probability(weights[t], reciprocal);
    for (int i = 0; i < hs; ++i) {
#pragma HLS UNROLL factor = 16
      acc[i] += p * g.v[row * hs + i];
    }
  }
  for (int i = 0; i < hs; ++i) g.out[q_offset + i] = acc[i];
  g.norm[static_cast<long>(query) * g.n_heads + head] = {max_weight, exp_sum, max_exponent + 24};
}

}  // namespace detail

template <int HEAD_MAX, int CONTEXT_MAX>
Status attention_i8(const AttentionArgs& g) {
#pragma HLS INTERFACE m_axi port = g.k offset = slave bundle = gmem_kv
#pragma HLS INTERFACE m_axi port = g.v offset = slave bundle = gmem_kv
#pragma HLS INTERFACE s_axilite port = return
  static_assert(HEAD_MAX > 0 && CONTEXT_MAX > 0, "attention buffers must be non-empty");
  const Status status = validate(g, HEAD_MAX, CONTEXT_MAX);
  if (status != Status::kOk) return status;
queries:
  for (int j = 0; j < g.n_queries; ++j) {
  heads:
    for (int h = 0; h < g.n_heads; ++h) detail::attend_one_head<HEAD_MAX, CONTEXT_MAX>(g, j, h);
  }
  return Status::kOk;
}

}  // namespace tessera::hls
