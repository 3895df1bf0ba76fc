#pragma once

// The int8 reference: the contract of docs/numerics.md as plain nested loops over
// std::vector, written independently of the HLS kernels. Every int8 implementation
// (HLS C model, RTL, OpenCL C fallback) must match it bit for bit.

#include <cstdint>
#include <vector>

#include "tessera/numerics/int8.hpp"

namespace tessera::models::int8_reference {

// C[m][n] = sum_k A[m][k] * W[n][k]; A is [m][k], W is [n][k].
std::vector<std::int32_t> gemm(const std::vector<std::int8_t>& a, const std::vector<std::int8_t>& w,
                               int m, int n, int k);

struct AttentionInput {
  std::vector<std::int8_t> q;  // [n_queries][n_heads][head_size]
  std::vector<float> q_scale;  // [n_queries][n_heads]
  std::vector<std::int8_t> k;  // [positions][n_kv_heads][head_size]
  std::vector<float> k_scale;  // [positions][n_kv_heads]
  std::vector<std::int8_t> v;
  std::vector<float> v_scale;
  int n_queries = 0, first_position = 0, n_heads = 0, n_kv_heads = 0, head_size = 0;
};

struct AttentionOutput {
  std::vector<std::int32_t> acc;               // [n_queries][n_heads][head_size]
  std::vector<numerics::AttentionNorm> norms;  // [n_queries][n_heads]
};

AttentionOutput attention(const AttentionInput& in);

}  // namespace tessera::models::int8_reference
