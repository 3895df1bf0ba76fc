#pragma once

#include <cstdint>
#include <vector>

#include "runtime/block_ops.hpp"
#include "tessera/models/model_shapes.hpp"

namespace tessera::runtime {

// The int8 kernel calls of one forward pass over `tokens` positions starting at
// `first_position` (tokens = 1: a decode step; more: a prefill block): block_ops()
// for every block, then the classifier, as Int8Model issues them (a test holds the
// two to each other).
struct KernelCall {
  enum class Kind { kGemm, kAttention } kind = Kind::kGemm;
  int layer = 0;
  int matrix = 0;  // index of the weight matrix (gemm), see weight_shapes()
  int batch = 0;   // consecutive GEMMs with the same batch go to the device together
  int m = 0, n = 0, k = 0;
  int n_queries = 0, first_position = 0;  // attention (heads from the model)
};
std::vector<KernelCall> forward_kernels(const models::ModelShape& shape, int first_position,
                                        int tokens);

// Every weight matrix (N x K) in the order block_ops() uses them, block by block,
// then the classifier.
std::vector<MatrixShape> weight_shapes(const models::ModelShape& shape);

// Bytes a decode step at `position` must move at least: int8 weights and the int8
// K/V cache with its fp32 scales; and its useful MACs.
std::uint64_t weight_bytes(const models::ModelShape& shape);
std::uint64_t kv_cache_bytes(const models::ModelShape& shape, int positions);
std::uint64_t forward_macs(const models::ModelShape& shape, int first_position, int tokens);

}  // namespace tessera::runtime
