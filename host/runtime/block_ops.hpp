#pragma once

#include <string>
#include <vector>

#include "tessera/models/checkpoint.hpp"

namespace tessera::runtime {

// The one description of a transformer block's device ops (names, weights, shapes,
// bytes, MACs), in the order the int8 model issues them. Int8Model runs it, the
// timing-only replay (forward_kernels) and the placement cost model count it, and
// --check and --stats name ops by it.

// A block's weight matrices.
enum class Matrix { kWq, kWk, kWv, kWo, kW1, kW3, kW2 };

struct MatrixShape {
  int n = 0, k = 0;  // N x K: N outputs from K inputs
};
MatrixShape matrix_shape(Matrix m, const models::ModelConfig& c);

struct BlockOp {
  std::string name;        // "q/k/v", "attention", "o", "gate/up", "down"
  bool attention = false;  // else matmuls, all of one input, submitted together
  std::vector<Matrix> matrices;
};

// SwiGLU blocks (ffn_matrices = 3: gate w1, up w3, down w2) or GELU MLPs as in GPT-2
// (2: w1 up, w2 down).
const std::vector<BlockOp>& block_ops(int ffn_matrices = 3);
// The op after the blocks: the classifier over the vocabulary.
inline const char* classifier_op_name() { return "classifier"; }

// Per decode position, of one block's ops: int8 weight bytes, the matmuls' int8 input
// bytes and int32 output bytes, device submissions (one per op) and kernel calls (one
// per matmul and one for attention, as a device that runs them one by one makes).
struct BlockTraffic {
  double weight_bytes = 0, input_bytes = 0, output_bytes = 0;
  int submissions = 0, calls = 0;
};
BlockTraffic block_traffic(const models::ModelConfig& c, int ffn_matrices = 3);

}  // namespace tessera::runtime
