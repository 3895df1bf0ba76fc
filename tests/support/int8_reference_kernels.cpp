#include "support/int8_reference_kernels.hpp"

#include <stdexcept>

#include "tessera/models/int8_reference.hpp"

namespace tessera::testing {

namespace ref = models::int8_reference;

namespace {
std::size_t sz(long n) { return static_cast<std::size_t>(n); }
}  // namespace

void Int8ReferenceKernels::gemm(const hls::GemmArgs& g) {
  const std::vector<std::int8_t> a(g.a, g.a + sz(static_cast<long>(g.m) * g.k));
  const std::vector<std::int8_t> w(g.w, g.w + sz(static_cast<long>(g.n) * g.k));
  const std::vector<std::int32_t> c = ref::gemm(a, w, g.m, g.n, g.k);
  for (long i = 0; i < g.m; ++i) {
    for (long j = 0; j < g.n; ++j) {
      const std::size_t at = sz(i * g.n + j);
      switch (g.epilogue) {
        case hls::Epilogue::kInt32:
          g.c_int32[at] = c[at];
          break;
        case hls::Epilogue::kDequantize:
          g.c_fp32[at] = numerics::dequantize_product(c[at], g.row_scale[i], g.col_scale[j]);
          break;
        case hls::Epilogue::kRequantize:
          g.c_int8[at] = numerics::requantize_product(c[at], g.row_scale[i], g.col_scale[j]);
          break;
      }
    }
  }
}

void Int8ReferenceKernels::attention(const hls::AttentionArgs& g) {
  ref::AttentionInput in;
  const long positions = g.first_position + g.n_queries;
  const long hs = g.head_size;
  in.q.assign(g.q, g.q + sz(g.n_queries * g.n_heads * hs));
  in.q_scale.assign(g.q_scale, g.q_scale + sz(g.n_queries * g.n_heads));
  in.k.assign(g.k, g.k + sz(positions * g.n_kv_heads * hs));
  in.k_scale.assign(g.k_scale, g.k_scale + sz(positions * g.n_kv_heads));
  in.v.assign(g.v, g.v + sz(positions * g.n_kv_heads * hs));
  in.v_scale.assign(g.v_scale, g.v_scale + sz(positions * g.n_kv_heads));
  in.n_queries = g.n_queries;
  in.first_position = g.first_position;
  in.n_heads = g.n_heads;
  in.n_kv_heads = g.n_kv_heads;
  in.head_size = g.head_size;
  const ref::AttentionOutput out = ref::attention(in);
  std::copy(out.acc.begin(), out.acc.end(), g.out);
  std::copy(out.norms.begin(), out.norms.end(), g.norm);
}

}  // namespace tessera::testing
