#include "runtime/decode_workload.hpp"

namespace tessera::runtime {

std::vector<MatrixShape> weight_shapes(const models::ModelShape& shape) {
  const models::ModelConfig& c = shape.config;
  std::vector<MatrixShape> shapes;
  for (int l = 0; l < c.n_layers; ++l) {
    for (const BlockOp& op : block_ops(shape.ffn_matrices)) {
      for (Matrix m : op.matrices) shapes.push_back(matrix_shape(m, c));
    }
  }
  shapes.push_back({c.vocab_size, c.dim});  // classifier
  return shapes;
}

std::vector<KernelCall> forward_kernels(const models::ModelShape& shape, int first_position,
                                        int tokens) {
  const models::ModelConfig& c = shape.config;
  std::vector<KernelCall> calls;
  int batch = 0, matrix = 0;
  auto gemm = [&](int layer, MatrixShape s, bool joins_previous) {
    KernelCall call;
    call.layer = layer;
    call.matrix = matrix++;
    call.batch = joins_previous ? batch : ++batch;
    call.m = tokens;
    call.n = s.n;
    call.k = s.k;
    calls.push_back(call);
  };
  for (int l = 0; l < c.n_layers; ++l) {
    for (const BlockOp& op : block_ops(shape.ffn_matrices)) {
      if (op.attention) {
        KernelCall attention;
        attention.kind = KernelCall::Kind::kAttention;
        attention.layer = l;
        attention.n_queries = tokens;
        attention.first_position = first_position;
        calls.push_back(attention);
        continue;
      }
      for (std::size_t i = 0; i < op.matrices.size(); ++i) {
        gemm(l, matrix_shape(op.matrices[i], c), i > 0);  // an op's matmuls go together
      }
    }
  }
  gemm(c.n_layers, {c.vocab_size, c.dim}, false);
  return calls;
}

std::uint64_t weight_bytes(const models::ModelShape& shape) {
  std::uint64_t bytes = 0;
  for (const MatrixShape& m : weight_shapes(shape)) {
    bytes += static_cast<std::uint64_t>(m.n) * static_cast<std::uint64_t>(m.k);
  }
  return bytes;
}

std::uint64_t kv_cache_bytes(const models::ModelShape& shape, int positions) {
  const models::ModelConfig& c = shape.config;
  const auto per_position = 2 * static_cast<std::uint64_t>(c.kv_dim() + 4 * c.n_kv_heads);
  return static_cast<std::uint64_t>(c.n_layers) * static_cast<std::uint64_t>(positions) *
         per_position;
}

std::uint64_t forward_macs(const models::ModelShape& shape, int first_position, int tokens) {
  const models::ModelConfig& c = shape.config;
  std::uint64_t macs = weight_bytes(shape) * static_cast<std::uint64_t>(tokens);
  for (int j = 0; j < tokens; ++j) {
    const auto positions = static_cast<std::uint64_t>(first_position + j + 1);
    // Q.K^T and P.V over every position, for every layer.
    macs += std::uint64_t{2} * static_cast<std::uint64_t>(c.n_layers) *
            static_cast<std::uint64_t>(c.dim) * positions;
  }
  return macs;
}

}  // namespace tessera::runtime
