#include "tessera/sim/device_abi.hpp"

#include <algorithm>
#include <cstring>

namespace tessera::sim {
namespace {
std::size_t sz(long n) { return static_cast<std::size_t>(n); }
}  // namespace

std::size_t tiled_bytes(int rows, int k, int tile) {
  return sz((rows + tile - 1) / tile) * sz(k) * sz(tile);
}

void pack_tiled(const std::int8_t* x, int rows, int k, int tile, std::uint8_t* out) {
  const int tiles = (rows + tile - 1) / tile;
  for (int t = 0; t < tiles; ++t) {
    for (int kk = 0; kk < k; ++kk) {
      std::uint8_t* word = out + (sz(t) * sz(k) + sz(kk)) * sz(tile);
      for (int r = 0; r < tile; ++r) {
        const long row = static_cast<long>(t) * tile + r;
        word[r] = static_cast<std::uint8_t>(row < rows ? x[row * k + kk] : 0);
      }
    }
  }
}

void unpack_tiled(const std::uint8_t* tiled, int rows, int k, int tile, std::int8_t* x) {
  for (long row = 0; row < rows; ++row) {
    const std::uint8_t* from = tiled + sz((row / tile) * k * tile + row % tile);
    std::int8_t* to = x + row * k;
    for (long kk = 0; kk < k; ++kk) to[kk] = static_cast<std::int8_t>(from[kk * tile]);
  }
}

std::size_t result_bytes(int m, int n, int rows, int cols) {
  return sz((m + rows - 1) / rows) * sz((n + cols - 1) / cols) * sz(rows) * sz(cols) * 4;
}

std::size_t vector_a_bytes(int k, int rows) { return sz((k + rows - 1) / rows) * sz(rows); }

std::size_t vector_result_bytes(int n_tiles, int cols) { return sz(n_tiles) * sz(cols) * 4; }

namespace {
// Byte offset of C[row][col] in the engine-order result layout.
std::size_t result_offset(long row, long col, int n, int rows, int cols) {
  const long n_tiles = (n + cols - 1) / cols;
  const long tile = (row / rows) * n_tiles + col / cols;
  return sz(((tile * rows + row % rows) * cols + col % cols) * 4);
}
}  // namespace

// Each tile row holds `cols` consecutive results of one row of C.
void unpack_results(const std::uint8_t* results, int m, int n, int rows, int cols,
                    std::int32_t* c) {
  for (long row = 0; row < m; ++row) {
    for (long col = 0; col < n; col += cols) {
      const long count = std::min<long>(cols, n - col);
      std::memcpy(&c[row * n + col], results + result_offset(row, col, n, rows, cols),
                  4 * sz(count));
    }
  }
}

void pack_results(const std::int32_t* c, int m, int n, int rows, int cols, std::uint8_t* out) {
  std::memset(out, 0, result_bytes(m, n, rows, cols));
  for (long row = 0; row < m; ++row) {
    for (long col = 0; col < n; col += cols) {
      const long count = std::min<long>(cols, n - col);
      std::memcpy(out + result_offset(row, col, n, rows, cols), &c[row * n + col], 4 * sz(count));
    }
  }
}

void AttentionRecords::pack_query(const hls::AttentionArgs& g, int query, int head,
                                  std::uint8_t* out) const {
  std::memset(out, 0, query_bytes());
  const long q_row = static_cast<long>(query) * g.n_heads + head;
  std::memcpy(out, g.q + q_row * g.head_size, sz(g.head_size));
  std::memcpy(out + head_max, &g.q_scale[q_row], 4);
}

void AttentionRecords::pack_kv(const hls::AttentionArgs& g, int t, int kv_head,
                               std::uint8_t* out) const {
  std::memset(out, 0, kv_bytes());
  const long row = static_cast<long>(t) * g.n_kv_heads + kv_head;
  std::memcpy(out, g.k + row * g.head_size, sz(g.head_size));
  std::memcpy(out + head_max, g.v + row * g.head_size, sz(g.head_size));
  std::memcpy(out + 2 * head_max, &g.k_scale[row], 4);
  std::memcpy(out + 2 * head_max + 4, &g.v_scale[row], 4);
}

void AttentionRecords::pack_result(const std::int32_t* acc, int head_size,
                                   const numerics::AttentionNorm& norm, std::uint8_t* out) const {
  std::memset(out, 0, result_bytes());
  std::memcpy(out, acc, 4 * sz(head_size));
  const std::uint32_t words[3] = {static_cast<std::uint32_t>(norm.max_weight),
                                  static_cast<std::uint32_t>(norm.exp_sum),
                                  static_cast<std::uint32_t>(norm.exponent)};
  std::memcpy(out + 4 * head_max, words, sizeof words);
}

void AttentionRecords::unpack_result(const std::uint8_t* record, int head_size, std::int32_t* acc,
                                     numerics::AttentionNorm* norm) const {
  std::memcpy(acc, record, 4 * sz(head_size));
  std::uint32_t words[3];
  std::memcpy(words, record + 4 * head_max, sizeof words);
  *norm = {static_cast<std::int64_t>(words[0]), static_cast<std::uint64_t>(words[1]),
           static_cast<std::int32_t>(words[2])};
}

std::unique_ptr<AttentionRecords::Job> AttentionRecords::unpack_job(const std::uint8_t* query,
                                                                    const std::uint8_t* kv,
                                                                    int positions,
                                                                    int used_lanes) const {
  auto job = std::make_unique<Job>();
  const std::size_t lanes = sz(used_lanes > 0 ? used_lanes : head_max);
  job->q.assign(query, query + lanes);
  job->q_scale.resize(1);
  std::memcpy(job->q_scale.data(), query + head_max, 4);
  job->k.resize(sz(positions) * lanes);
  job->v.resize(sz(positions) * lanes);
  job->k_scale.resize(sz(positions));
  job->v_scale.resize(sz(positions));
  for (std::size_t t = 0; t < sz(positions); ++t) {
    const std::uint8_t* record = kv + t * kv_bytes();
    std::memcpy(&job->k[t * lanes], record, lanes);
    std::memcpy(&job->v[t * lanes], record + head_max, lanes);
    std::memcpy(&job->k_scale[t], record + 2 * head_max, 4);
    std::memcpy(&job->v_scale[t], record + 2 * head_max + 4, 4);
  }
  job->out.assign(lanes, 0);
  hls::AttentionArgs& a = job->args;
  a.q = job->q.data();
  a.q_scale = job->q_scale.data();
  a.k = job->k.data();
  a.k_scale = job->k_scale.data();
  a.v = job->v.data();
  a.v_scale = job->v_scale.data();
  a.n_queries = 1;
  a.first_position = positions - 1;
  a.n_heads = 1;
  a.n_kv_heads = 1;
  a.head_size = static_cast<int>(lanes);
  a.out = job->out.data();
  a.norm = &job->norm;
  return job;
}

}  // namespace tessera::sim
