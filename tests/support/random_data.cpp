#include "support/random_data.hpp"

#include "tessera/hls/kernels.hpp"

namespace tessera::testing {

std::vector<std::int8_t> random_int8(std::size_t n, std::mt19937& rng, int lo, int hi) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<std::int8_t> v(n);
  for (auto& x : v) x = static_cast<std::int8_t>(d(rng));
  return v;
}

std::vector<std::int32_t> hls_gemm_int32(hls::ArrayShape array, const std::vector<std::int8_t>& a,
                                         const std::vector<std::int8_t>& w, int m, int n, int k) {
  std::vector<std::int32_t> c(static_cast<std::size_t>(m) * static_cast<std::size_t>(n));
  hls::GemmArgs g;
  g.a = a.data();
  g.w = w.data();
  g.m = m;
  g.n = n;
  g.k = k;
  g.c_int32 = c.data();
  hls::gemm_or_throw(array, g);
  return c;
}

}  // namespace tessera::testing
