#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "tessera/hls/array_config.hpp"

namespace tessera::testing {

// n uniformly random int8 values in [lo, hi].
std::vector<std::int8_t> random_int8(std::size_t n, std::mt19937& rng, int lo = -128, int hi = 127);

// C = A * W^T through the HLS C model on `array` (throws on a kernel error).
std::vector<std::int32_t> hls_gemm_int32(hls::ArrayShape array, const std::vector<std::int8_t>& a,
                                         const std::vector<std::int8_t>& w, int m, int n, int k);

}  // namespace tessera::testing
