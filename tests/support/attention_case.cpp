#include "support/attention_case.hpp"

#include "support/random_data.hpp"

namespace tessera::testing {

namespace {
std::vector<float> random_scales(std::size_t n, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}
}  // namespace

models::int8_reference::AttentionInput random_attention_input(const AttentionShape& s,
                                                              std::mt19937& rng) {
  models::int8_reference::AttentionInput in;
  in.n_heads = s.n_heads;
  in.n_kv_heads = s.n_kv_heads;
  in.head_size = s.head_size;
  in.first_position = s.first_position;
  in.n_queries = s.n_queries;
  const auto positions = static_cast<std::size_t>(s.first_position + s.n_queries);
  const auto hs = static_cast<std::size_t>(s.head_size);
  const auto queries = static_cast<std::size_t>(s.n_queries * s.n_heads);
  const auto kv = positions * static_cast<std::size_t>(s.n_kv_heads);
  in.q = random_int8(queries * hs, rng);
  in.q_scale = random_scales(queries, rng, 0.002f, 0.03f);
  for (auto& x : in.q_scale) x = numerics::attention_query_scale(x, s.head_size);
  in.k = random_int8(kv * hs, rng);
  in.k_scale = random_scales(kv, rng, 0.002f, 0.05f);
  in.v = random_int8(kv * hs, rng);
  in.v_scale = random_scales(kv, rng, 0.0005f, 0.2f);
  return in;
}

hls::AttentionArgs attention_args(const models::int8_reference::AttentionInput& in,
                                  models::int8_reference::AttentionOutput& out) {
  out.acc.assign(static_cast<std::size_t>(in.n_queries * in.n_heads * in.head_size), -1);
  out.norms.assign(static_cast<std::size_t>(in.n_queries * in.n_heads), {});
  hls::AttentionArgs a;
  a.q = in.q.data();
  a.q_scale = in.q_scale.data();
  a.k = in.k.data();
  a.k_scale = in.k_scale.data();
  a.v = in.v.data();
  a.v_scale = in.v_scale.data();
  a.n_queries = in.n_queries;
  a.first_position = in.first_position;
  a.n_heads = in.n_heads;
  a.n_kv_heads = in.n_kv_heads;
  a.head_size = in.head_size;
  a.out = out.acc.data();
  a.norm = out.norms.data();
  return a;
}

}  // namespace tessera::testing
