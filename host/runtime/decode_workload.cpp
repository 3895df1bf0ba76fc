#include "runtime/decode_workload.hpp"

namespace tessera::runtime {

std::vector<MatrixShape> weight_shapes(const ModelShape& shape) {
  const models::ModelConfig& c = shape.config;
  std::vector<MatrixShape> shapes;
  for (int l = 0; l < c.n_layers; ++l) {
    shapes.push_back({c.dim, c.dim});       // wq
    shapes.push_back({c.kv_dim(), c.dim});  // wk
    shapes.push_back({c.kv_dim(), c.dim});  // wv
    shapes.push_back({c.dim, c.dim});       // wo
    shapes.push_back({c.hidden_dim, c.dim});
    if (shape.ffn_matrices == 3) shapes.push_back({c.hidden_dim, c.dim});
    shapes.push_back({c.dim, c.hidden_dim});
  }
  shapes.push_back({c.vocab_size, c.dim});  // classifier
  return shapes;
}

std::vector<KernelCall> forward_kernels(const ModelShape& shape, int first_position, int tokens) {
  const models::ModelConfig& c = shape.config;
  const std::vector<MatrixShape> matrices = weight_shapes(shape);
  const int per_layer = 4 + shape.ffn_matrices;
  std::vector<KernelCall> calls;
  int batch = 0;
  auto gemm = [&](int layer, int matrix, bool joins_previous = false) {
    KernelCall call;
    call.layer = layer;
    call.matrix = matrix;
    call.batch = joins_previous ? batch : ++batch;
    call.m = tokens;
    call.n = matrices[static_cast<std::size_t>(matrix)].n;
    call.k = matrices[static_cast<std::size_t>(matrix)].k;
    calls.push_back(call);
  };
  for (int l = 0; l < c.n_layers; ++l) {
    const int base = l * per_layer;
    for (int i = 0; i < 3; ++i) gemm(l, base + i, i > 0);  // q, k, v together
    KernelCall attention;
    attention.kind = KernelCall::Kind::kAttention;
    attention.layer = l;
    attention.n_queries = tokens;
    attention.first_position = first_position;
    calls.push_back(attention);
    gemm(l, base + 3);  // o
    // The FFN: gate and up together (SwiGLU), then down.
    for (int i = 4; i < per_layer; ++i) gemm(l, base + i, i == 5 && shape.ffn_matrices == 3);
  }
  gemm(c.n_layers, c.n_layers * per_layer);
  return calls;
}

std::uint64_t weight_bytes(const ModelShape& shape) {
  std::uint64_t bytes = 0;
  for (const MatrixShape& m : weight_shapes(shape)) {
    bytes += static_cast<std::uint64_t>(m.n) * static_cast<std::uint64_t>(m.k);
  }
  return bytes;
}

std::uint64_t kv_cache_bytes(const ModelShape& shape, int positions) {
  const models::ModelConfig& c = shape.config;
  const auto per_position = 2 * static_cast<std::uint64_t>(c.kv_dim() + 4 * c.n_kv_heads);
  return static_cast<std::uint64_t>(c.n_layers) * static_cast<std::uint64_t>(positions) *
         per_position;
}

std::uint64_t forward_macs(const ModelShape& shape, int first_position, int tokens) {
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
