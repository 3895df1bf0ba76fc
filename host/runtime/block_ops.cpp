#include "runtime/block_ops.hpp"

#include <stdexcept>

namespace tessera::runtime {

MatrixShape matrix_shape(Matrix m, const models::ModelConfig& c) {
  switch (m) {
    case Matrix::kWq:
    case Matrix::kWo:
      return {c.dim, c.dim};
    case Matrix::kWk:
    case Matrix::kWv:
      return {c.kv_dim(), c.dim};
    case Matrix::kW1:
    case Matrix::kW3:
      return {c.hidden_dim, c.dim};
    case Matrix::kW2:
      return {c.dim, c.hidden_dim};
  }
  throw std::logic_error("matrix_shape: unknown matrix");
}

const std::vector<BlockOp>& block_ops(int ffn_matrices) {
  static const std::vector<BlockOp> swiglu = {
      {"q/k/v", false, {Matrix::kWq, Matrix::kWk, Matrix::kWv}},
      {"attention", true, {}},
      {"o", false, {Matrix::kWo}},
      {"gate/up", false, {Matrix::kW1, Matrix::kW3}},
      {"down", false, {Matrix::kW2}}};
  static const std::vector<BlockOp> mlp = {
      {"q/k/v", false, {Matrix::kWq, Matrix::kWk, Matrix::kWv}},
      {"attention", true, {}},
      {"o", false, {Matrix::kWo}},
      {"up", false, {Matrix::kW1}},
      {"down", false, {Matrix::kW2}}};
  if (ffn_matrices != 2 && ffn_matrices != 3) {
    throw std::invalid_argument("block_ops: a block has 2 or 3 FFN matrices");
  }
  return ffn_matrices == 3 ? swiglu : mlp;
}

BlockTraffic block_traffic(const models::ModelConfig& c, int ffn_matrices) {
  BlockTraffic t;
  for (const BlockOp& op : block_ops(ffn_matrices)) {
    ++t.submissions;
    t.calls += op.attention ? 1 : static_cast<int>(op.matrices.size());
    if (op.matrices.empty()) continue;
    t.input_bytes += matrix_shape(op.matrices.front(), c).k;  // shared by the op's matmuls
    for (Matrix m : op.matrices) {
      const MatrixShape s = matrix_shape(m, c);
      t.weight_bytes += static_cast<double>(s.n) * s.k;
      t.output_bytes += 4.0 * s.n;
    }
  }
  return t;
}

}  // namespace tessera::runtime
