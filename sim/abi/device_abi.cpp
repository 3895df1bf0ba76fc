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
  std::memcpy(out + record::kQueryLanes.at(head_max), g.q + q_row * g.head_size, sz(g.head_size));
  std::memcpy(out + record::kQueryScale.at(head_max), &g.q_scale[q_row], 4);
}

void AttentionRecords::pack_kv(const hls::AttentionArgs& g, int t, int kv_head,
                               std::uint8_t* out) const {
  std::memset(out, 0, kv_bytes());
  const long row = static_cast<long>(t) * g.n_kv_heads + kv_head;
  std::memcpy(out + record::kKeyLanes.at(head_max), g.k + row * g.head_size, sz(g.head_size));
  std::memcpy(out + record::kValueLanes.at(head_max), g.v + row * g.head_size, sz(g.head_size));
  std::memcpy(out + record::kKeyScale.at(head_max), &g.k_scale[row], 4);
  std::memcpy(out + record::kValueScale.at(head_max), &g.v_scale[row], 4);
}

void AttentionRecords::pack_result(const std::int32_t* acc, int head_size,
                                   const numerics::AttentionNorm& norm, std::uint8_t* out) const {
  std::memset(out, 0, result_bytes());
  std::memcpy(out + record::kResultAcc.at(head_max), acc, 4 * sz(head_size));
  const auto max_weight = static_cast<std::uint32_t>(norm.max_weight);
  const auto exp_sum = static_cast<std::uint32_t>(norm.exp_sum);
  const auto exponent = static_cast<std::uint32_t>(norm.exponent);
  std::memcpy(out + record::kResultMaxWeight.at(head_max), &max_weight, 4);
  std::memcpy(out + record::kResultExpSum.at(head_max), &exp_sum, 4);
  std::memcpy(out + record::kResultExponent.at(head_max), &exponent, 4);
}

void AttentionRecords::unpack_result(const std::uint8_t* bytes, int head_size, std::int32_t* acc,
                                     numerics::AttentionNorm* norm) const {
  std::memcpy(acc, bytes + record::kResultAcc.at(head_max), 4 * sz(head_size));
  std::uint32_t max_weight = 0, exp_sum = 0, exponent = 0;
  std::memcpy(&max_weight, bytes + record::kResultMaxWeight.at(head_max), 4);
  std::memcpy(&exp_sum, bytes + record::kResultExpSum.at(head_max), 4);
  std::memcpy(&exponent, bytes + record::kResultExponent.at(head_max), 4);
  *norm = {static_cast<std::int64_t>(max_weight), static_cast<std::uint64_t>(exp_sum),
           static_cast<std::int32_t>(exponent)};
}

namespace {

constexpr std::size_t kLaneWord = sizeof(std::uint64_t);

std::size_t lanes_in_use(const std::uint8_t* lanes, std::size_t n) {
  while (n > 0 && lanes[n - 1] == 0) --n;
  return n;
}

// The OR of lanes[0, n), a word at a time (a loop the compiler vectorizes).
std::uint64_t or_of_lanes(const std::uint8_t* lanes, std::size_t n) {
  std::uint64_t any = 0;
  const std::size_t words = n / kLaneWord;
  for (std::size_t w = 0; w < words; ++w) {
    std::uint64_t word;
    std::memcpy(&word, lanes + w * kLaneWord, kLaneWord);
    any |= word;
  }
  for (std::size_t i = words * kLaneWord; i < n; ++i) any |= lanes[i];
  return any;
}

// dst[0, n) = src[0, n) in word-sized moves (n is small and rarely a constant).
void copy_lanes(std::int8_t* dst, const std::uint8_t* src, std::size_t n) {
  std::size_t i = 0;
  for (; i + kLaneWord <= n; i += kLaneWord) std::memcpy(dst + i, src + i, kLaneWord);
  for (; i < n; ++i) dst[i] = static_cast<std::int8_t>(src[i]);
}

}  // namespace

bool AttentionRecords::gather_job(const std::uint8_t* query, const std::uint8_t* kv, int positions,
                                  std::size_t width, Job& job) const {
  const std::size_t head = sz(head_max), stride = kv_bytes(), count = sz(positions);
  const std::size_t q_lanes = record::kQueryLanes.at(head_max),
                    k_lanes = record::kKeyLanes.at(head_max),
                    v_lanes = record::kValueLanes.at(head_max),
                    k_scale_at = record::kKeyScale.at(head_max),
                    v_scale_at = record::kValueScale.at(head_max);
  job.q.assign(query + q_lanes, query + q_lanes + width);
  job.q_scale.resize(1);
  std::memcpy(job.q_scale.data(), query + record::kQueryScale.at(head_max), 4);
  job.k.resize(count * width);
  job.v.resize(count * width);
  job.k_scale.resize(count);
  job.v_scale.resize(count);
  // Locals, so that the loop does not reload what the stores could alias.
  std::int8_t *k = job.k.data(), *v = job.v.data();
  float *k_scale = job.k_scale.data(), *v_scale = job.v_scale.data();
  std::uint64_t values_beyond = 0;
  for (std::size_t t = 0; t < count; ++t) {
    const std::uint8_t* kv_record = kv + t * stride;
    copy_lanes(k + t * width, kv_record + k_lanes, width);
    copy_lanes(v + t * width, kv_record + v_lanes, width);
    values_beyond |= or_of_lanes(kv_record + v_lanes + width, head - width);
    std::memcpy(k_scale + t, kv_record + k_scale_at, 4);
    std::memcpy(v_scale + t, kv_record + v_scale_at, 4);
  }
  return values_beyond != 0;
}

void AttentionRecords::unpack_job(const std::uint8_t* query, const std::uint8_t* kv, int positions,
                                  Job& job) const {
  const std::size_t head = sz(head_max);
  // The query's lanes rounded up to a word; all lanes if a value uses one past them.
  const std::size_t query_lanes = std::max<std::size_t>(lanes_in_use(query, head), 1);
  std::size_t width = std::min(head, (query_lanes + kLaneWord - 1) / kLaneWord * kLaneWord);
  if (gather_job(query, kv, positions, width, job)) {
    width = head;
    gather_job(query, kv, positions, width, job);
  }
  job.out.assign(width, 0);
  job.norm = {};
  hls::AttentionArgs& a = job.args;
  a.q = job.q.data();
  a.q_scale = job.q_scale.data();
  a.k = job.k.data();
  a.k_scale = job.k_scale.data();
  a.v = job.v.data();
  a.v_scale = job.v_scale.data();
  a.n_queries = 1;
  a.first_position = positions - 1;
  a.n_heads = 1;
  a.n_kv_heads = 1;
  a.head_size = static_cast<int>(width);
  a.out = job.out.data();
  a.norm = &job.norm;
}

AttentionRecords attention_records(const hls::HardwareConfig& config, int head_size) {
  return {head_size > 0 ? head_size : config.attention.head_size_max, config.gemm.rows};
}

}  // namespace tessera::sim
