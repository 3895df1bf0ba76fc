#include "tessera/models/int8_reference.hpp"

#include <algorithm>

namespace tessera::models::int8_reference {

namespace nx = tessera::numerics;

namespace {
std::size_t at(long index) { return static_cast<std::size_t>(index); }
}  // namespace

std::vector<std::int32_t> gemm(const std::vector<std::int8_t>& a, const std::vector<std::int8_t>& w,
                               int m, int n, int k) {
  std::vector<std::int32_t> c(at(static_cast<long>(m) * n), 0);
  for (long i = 0; i < m; ++i) {
    for (long j = 0; j < n; ++j) {
      std::int32_t sum = 0;
      for (long p = 0; p < k; ++p) sum += a[at(i * k + p)] * w[at(j * k + p)];
      c[at(i * n + j)] = sum;
    }
  }
  return c;
}

AttentionOutput attention(const AttentionInput& in) {
  const long hs = in.head_size;
  const int group = in.n_heads / in.n_kv_heads;
  AttentionOutput out;
  out.acc.assign(at(in.n_queries * in.n_heads * hs), 0);
  out.norms.resize(at(static_cast<long>(in.n_queries) * in.n_heads));
  for (long j = 0; j < in.n_queries; ++j) {
    const long positions = in.first_position + j + 1;
    for (long h = 0; h < in.n_heads; ++h) {
      const long kvh = h / group;
      const long qrow = j * in.n_heads + h;
      auto kv_row = [&](long t) { return t * in.n_kv_heads + kvh; };

      std::vector<std::int32_t> logit(at(positions));
      for (long t = 0; t < positions; ++t) {
        std::int32_t score = 0;
        for (long i = 0; i < hs; ++i)
          score += in.q[at(qrow * hs + i)] * in.k[at(kv_row(t) * hs + i)];
        logit[at(t)] = nx::attention_logit(
            score, nx::multiply_scales(in.q_scale[at(qrow)], in.k_scale[at(kv_row(t))]));
      }
      const std::int32_t top = *std::max_element(logit.begin(), logit.end());
      int max_exponent = -149;
      for (long t = 0; t < positions; ++t) {
        max_exponent = std::max(max_exponent, nx::unpack_scale(in.v_scale[at(kv_row(t))]).exponent);
      }

      std::vector<std::int64_t> weight(at(positions));
      nx::AttentionNorm norm;
      norm.exponent = max_exponent + 24;
      for (long t = 0; t < positions; ++t) {
        const std::uint32_t e = nx::exp2_negative(static_cast<std::int64_t>(top) - logit[at(t)]);
        norm.exp_sum += e;
        weight[at(t)] =
            nx::value_weight(e, nx::unpack_scale(in.v_scale[at(kv_row(t))]), max_exponent);
        norm.max_weight = std::max(norm.max_weight, weight[at(t)]);
      }
      const std::uint64_t reciprocal = nx::probability_reciprocal(norm.max_weight);
      for (long i = 0; i < hs; ++i) {
        std::int32_t sum = 0;
        for (long t = 0; t < positions; ++t) {
          sum += nx::quantize_probability(weight[at(t)], reciprocal) * in.v[at(kv_row(t) * hs + i)];
        }
        out.acc[at(qrow * hs + i)] = sum;
      }
      out.norms[at(qrow)] = norm;
    }
  }
  return out;
}

}  // namespace tessera::models::int8_reference
