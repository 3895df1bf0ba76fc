#include "tessera/sim/platform_driver.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

#include "platform/compute_backends.hpp"
#include "tessera/numerics/int8.hpp"
#include "tessera/sim/device_abi.hpp"

namespace tessera::sim {
namespace {

std::size_t sz(long n) { return static_cast<std::size_t>(n); }
enum Scratch : std::size_t { kActivations, kResults, kQueries, kAttentionResults, kSlots };

// C from the int32 sums through the call's epilogue, as the HLS kernels do it.
void apply_epilogue(const hls::GemmArgs& g, const std::vector<std::int32_t>& sum) {
  for (int r = 0; r < g.m; ++r) {
    for (int c = 0; c < g.n; ++c) hls::store_result(g, r, c, sum[sz(r) * sz(g.n) + sz(c)]);
  }
}

}  // namespace

PlatformDriver::PlatformDriver(Platform& platform)
    : platform_(platform),
      array_(platform.config().array()),
      data_(platform.options().compute),
      scratch_address_(kSlots, 0),
      scratch_bytes_(kSlots, 0) {}

// Reusable device buffers, grown on demand.
std::uint64_t PlatformDriver::scratch(std::size_t slot, std::uint64_t bytes) {
  if (scratch_bytes_[slot] < bytes) {
    if (scratch_bytes_[slot] > 0) platform_.release(scratch_address_[slot]);
    scratch_address_[slot] = platform_.allocate(bytes);
    scratch_bytes_[slot] = bytes;
  }
  return scratch_address_[slot];
}

void PlatformDriver::release_scratch() {
  for (std::size_t slot = 0; slot < kSlots; ++slot) {
    if (scratch_bytes_[slot] > 0) platform_.release(scratch_address_[slot]);
    scratch_bytes_[slot] = 0;
  }
}

PlatformDriver::DeviceMatrix PlatformDriver::upload_weights(const std::int8_t* w, int n, int k) {
  DeviceMatrix matrix{platform_.allocate(tiled_bytes(n, k, array_.cols)), n, k};
  std::vector<std::uint8_t> tiled;
  if (data_ && w != nullptr) {
    tiled.resize(tiled_bytes(n, k, array_.cols));
    pack_tiled(w, n, k, array_.cols, tiled.data());
  }
  platform_.write(matrix.address, tiled.empty() ? nullptr : tiled.data(),
                  tiled_bytes(n, k, array_.cols));
  return matrix;
}

void PlatformDriver::check_call(const hls::GemmArgs& g, const DeviceMatrix& w) const {
  if (g.m <= 0 || g.n != w.n || g.k != w.k) {
    throw std::invalid_argument("platform gemm: " + std::to_string(g.m) + "x" +
                                std::to_string(g.n) + "x" + std::to_string(g.k) +
                                " does not match the " + std::to_string(w.n) + "x" +
                                std::to_string(w.k) + " weights");
  }
  if (g.k > numerics::kMaxAccumulationDepth) {
    throw std::invalid_argument("platform gemm: K = " + std::to_string(g.k) +
                                " exceeds the accumulation limit");
  }
}

bool PlatformDriver::vector_mode_fits(const hls::GemmArgs& g) const {
  return g.m == 1 && g.k >= array_.rows &&
         vector_a_bytes(g.k, array_.rows) / sz(array_.rows) <=
             sz(platform_.config().gemm.buffer_words);
}

void PlatformDriver::gemm(const hls::GemmArgs& g, const DeviceMatrix& w) {
  check_call(g, w);
  if (vector_mode_fits(g)) {
    gemv({{g, &w}});
    return;
  }
  const int rows = array_.rows, cols = array_.cols;
  const int words = platform_.config().gemm.buffer_words;
  const int k_chunk = std::min(g.k, words);
  const int per_job = std::max(1, words / k_chunk);
  const int m_tiles = (g.m + rows - 1) / rows, n_tiles = (g.n + cols - 1) / cols;

  // A, tiled, chunk by chunk of K: chunk c holds columns [c * k_chunk, ...) of A.
  const std::uint64_t a_address = scratch(kActivations, tiled_bytes(g.m, g.k, rows));
  std::vector<std::uint8_t> a_tiled(data_ ? tiled_bytes(g.m, g.k, rows) : 0);
  std::vector<std::int8_t> a_chunk;
  struct Job {
    int k0, k_len, mt0, m_len, nt0, n_len;
    std::uint64_t c;
  };
  std::vector<Job> jobs;
  std::uint64_t a_offset = 0, c_bytes = 0;
  for (int k0 = 0; k0 < g.k; k0 += k_chunk) {
    const int k_len = std::min(k_chunk, g.k - k0);
    if (data_) {
      a_chunk.resize(sz(g.m) * sz(k_len));
      for (long r = 0; r < g.m; ++r) {
        std::memcpy(&a_chunk[sz(r * k_len)], g.a + r * g.k + k0, sz(k_len));
      }
      pack_tiled(a_chunk.data(), g.m, k_len, rows, a_tiled.data() + a_offset);
    }
    for (int mt0 = 0; mt0 < m_tiles; mt0 += per_job) {
      for (int nt0 = 0; nt0 < n_tiles; nt0 += per_job) {
        const Job job{k0,     k_len,
                      mt0,    std::min(per_job, m_tiles - mt0),
                      nt0,    std::min(per_job, n_tiles - nt0),
                      c_bytes};
        c_bytes += sz(job.m_len) * sz(job.n_len) * sz(rows) * sz(cols) * 4;
        jobs.push_back(job);
      }
    }
    a_offset += tiled_bytes(g.m, k_len, rows);
  }
  platform_.write(a_address, data_ ? a_tiled.data() : nullptr, a_offset);
  const std::uint64_t c_address = scratch(kResults, c_bytes);

  // W tiles of a K chunk: the weights are tiled over all of K, so a chunk's words
  // of tile t start at (t * K + k0) words.
  for (const Job& job : jobs) {
    GemmCommand command;
    command.m_tiles = job.m_len;
    command.n_tiles = job.n_len;
    command.k = job.k_len;
    command.c = c_address + job.c;
    a_offset = 0;
    for (int k0 = 0; k0 < job.k0; k0 += k_chunk) {
      a_offset += tiled_bytes(g.m, std::min(k_chunk, g.k - k0), rows);
    }
    command.a = a_address + a_offset + sz(job.mt0) * sz(job.k_len) * sz(rows);
    command.w = w.address + (sz(job.nt0) * sz(g.k) + sz(job.k0)) * sz(cols);
    platform_.enqueue(command);
  }
  std::vector<std::uint8_t> results(data_ ? c_bytes : 0);
  platform_.read_when_done(c_address, data_ ? results.data() : nullptr, c_bytes);
  const std::optional<ChecksumError> failed = run_commands();
  if (!data_) return;

  std::vector<std::int32_t> sum(sz(g.m) * sz(g.n), 0), part;
  for (const Job& job : jobs) {
    const int m_len = job.m_len * rows, n_len = job.n_len * cols;
    part.resize(sz(m_len) * sz(n_len));
    unpack_results(results.data() + job.c, m_len, n_len, rows, cols, part.data());
    for (int r = 0; r < m_len && job.mt0 * rows + r < g.m; ++r) {
      for (int c = 0; c < n_len && job.nt0 * cols + c < g.n; ++c) {
        sum[sz(job.mt0 * rows + r) * sz(g.n) + sz(job.nt0 * cols + c)] +=
            part[sz(r) * sz(n_len) + sz(c)];
      }
    }
  }
  apply_epilogue(g, sum);
  if (failed) throw *failed;
}

// Rows of A (one per call): vector-mode jobs with each call's W row tiles split
// evenly over the units (a unit's last vector tile may be partly idle: decode is
// memory-bound, so keeping every unit streaming matters more). All calls go in one
// submission; A goes up packed (once for calls sharing it); each job writes its
// padded results to its own slot and only the N results come back.
void PlatformDriver::gemv(const std::vector<GemmCall>& calls) {
  const int rows = array_.rows, cols = array_.cols;
  const int units = std::max(1, platform_.config().gemm.count);
  // Each call's results are its N outputs in order; the calls' results follow each
  // other in one region that comes back in one transfer.
  std::vector<std::uint64_t> a_address(calls.size());
  std::vector<std::size_t> c_offset(calls.size());
  std::size_t c_bytes = 0;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const hls::GemmArgs& g = calls[i].args;
    const std::size_t a_bytes = vector_a_bytes(g.k, rows);
    const bool shared = i > 0 && g.a == calls[i - 1].args.a && g.k == calls[i - 1].args.k;
    if (shared) {
      a_address[i] = a_address[i - 1];
    } else {
      a_address[i] = platform_.allocate(a_bytes);
      std::vector<std::uint8_t> a(data_ ? a_bytes : 0, 0);
      if (data_) std::memcpy(a.data(), g.a, sz(g.k));
      platform_.write(a_address[i], data_ ? a.data() : nullptr, a_bytes);
    }
    c_offset[i] = c_bytes;
    c_bytes += vector_result_bytes((g.n + cols - 1) / cols, cols);
  }
  const std::uint64_t c_address = scratch(kResults, c_bytes);
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const hls::GemmArgs& g = calls[i].args;
    const int n_tiles = (g.n + cols - 1) / cols;
    const int per_command = (n_tiles + units - 1) / units;
    for (int nt0 = 0; nt0 < n_tiles; nt0 += per_command) {
      GemmCommand command;
      command.vector = true;
      command.n_tiles = std::min(per_command, n_tiles - nt0);
      command.k = g.k;
      command.a = a_address[i];
      command.w = calls[i].w->address + sz(nt0) * sz(g.k) * sz(cols);
      command.c = c_address + c_offset[i] + vector_result_bytes(nt0, cols);
      platform_.enqueue(command);
    }
  }
  std::vector<std::uint8_t> results(data_ ? c_bytes : 0);
  platform_.read_when_done(c_address, data_ ? results.data() : nullptr, c_bytes);
  const std::optional<ChecksumError> failed = run_commands();
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (i == 0 || a_address[i] != a_address[i - 1]) platform_.release(a_address[i]);
  }
  if (!data_) return;
  std::vector<std::vector<std::int32_t>> sums(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    sums[i].resize(sz(calls[i].args.n));
    std::memcpy(sums[i].data(), results.data() + c_offset[i], 4 * sums[i].size());
  }
  for (std::size_t i = 0; i < calls.size(); ++i) apply_epilogue(calls[i].args, sums[i]);
  if (failed) throw *failed;
}

void PlatformDriver::gemms(const std::vector<GemmCall>& calls) {
  std::vector<GemmCall> vector_calls;
  for (const GemmCall& call : calls) {
    check_call(call.args, *call.w);
    if (vector_mode_fits(call.args)) {
      vector_calls.push_back(call);
    } else {
      gemm(call.args, *call.w);
    }
  }
  if (!vector_calls.empty()) gemv(vector_calls);
}

PlatformDriver::DeviceKvCache PlatformDriver::allocate_kv_cache(int n_kv_heads, int head_size,
                                                                int capacity) {
  if (n_kv_heads <= 0 || capacity <= 0 || head_size <= 0 ||
      head_size > platform_.config().attention.head_size_max) {
    throw std::invalid_argument("platform KV cache: " + std::to_string(n_kv_heads) +
                                " kv heads of head size " + std::to_string(head_size) + " for " +
                                std::to_string(capacity) + " positions (head size 1.." +
                                std::to_string(platform_.config().attention.head_size_max) + ")");
  }
  const AttentionRecords records = attention_records(platform_.config(), head_size);
  DeviceKvCache cache;
  cache.address = platform_.allocate(sz(n_kv_heads) * sz(capacity) * records.kv_bytes());
  cache.n_kv_heads = n_kv_heads;
  cache.head_size = head_size;
  cache.capacity = capacity;
  return cache;
}

void PlatformDriver::attention(const hls::AttentionArgs& g, DeviceKvCache& cache) {
  // Records of the head's lanes (ATT_HEAD_SIZE), not the unit's head_size_max.
  const AttentionRecords records = attention_records(platform_.config(), cache.head_size);
  const int last = g.first_position + g.n_queries;  // positions the last query sees
  if (g.n_kv_heads != cache.n_kv_heads || last > cache.capacity || g.head_size != cache.head_size ||
      g.n_heads <= 0 || g.n_kv_heads <= 0 || g.n_heads % g.n_kv_heads != 0 || g.n_queries <= 0) {
    throw std::invalid_argument("platform attention: the call does not fit the device KV cache");
  }
  const std::size_t kv = records.kv_bytes();
  // New positions, one transfer per kv head (records of a head are contiguous).
  if (last > cache.positions_uploaded) {
    const int from = cache.positions_uploaded, count = last - from;
    std::vector<std::uint8_t> block(data_ ? sz(count) * kv : 0);
    for (int h = 0; h < g.n_kv_heads; ++h) {
      if (data_) {
        for (int t = 0; t < count; ++t) records.pack_kv(g, from + t, h, &block[sz(t) * kv]);
      }
      platform_.write(cache.address + (sz(h) * sz(cache.capacity) + sz(from)) * kv,
                      data_ ? block.data() : nullptr, sz(count) * kv);
    }
    cache.positions_uploaded = last;
  }
  const std::size_t jobs = sz(g.n_queries) * sz(g.n_heads);
  const std::uint64_t q_address = scratch(kQueries, jobs * records.query_bytes());
  const std::uint64_t out_address = scratch(kAttentionResults, jobs * records.result_bytes());
  std::vector<std::uint8_t> queries(data_ ? jobs * records.query_bytes() : 0);
  if (data_) {
    for (int j = 0; j < g.n_queries; ++j) {
      for (int h = 0; h < g.n_heads; ++h) {
        records.pack_query(g, j, h,
                           &queries[(sz(j) * sz(g.n_heads) + sz(h)) * records.query_bytes()]);
      }
    }
  }
  platform_.write(q_address, data_ ? queries.data() : nullptr, jobs * records.query_bytes());
  // One job per (query, kv head): the group's query heads read their K/V once.
  const int group = g.n_heads / g.n_kv_heads;
  for (int j = 0; j < g.n_queries; ++j) {
    for (int kv_head = 0; kv_head < g.n_kv_heads; ++kv_head) {
      const std::size_t first = sz(j) * sz(g.n_heads) + sz(kv_head) * sz(group);
      AttentionCommand command;
      command.positions = g.first_position + j + 1;
      command.head_size = cache.head_size;
      command.group = group;
      command.query = q_address + first * records.query_bytes();
      command.kv = cache.address + sz(kv_head) * sz(cache.capacity) * kv;
      command.out = out_address + first * records.result_bytes();
      platform_.enqueue(command);
    }
  }
  std::vector<std::uint8_t> results(data_ ? jobs * records.result_bytes() : 0);
  platform_.read_when_done(out_address, data_ ? results.data() : nullptr,
                           jobs * records.result_bytes());
  const std::optional<ChecksumError> failed = run_commands();
  if (!data_) return;
  for (std::size_t job = 0; job < jobs; ++job) {
    records.unpack_result(&results[job * records.result_bytes()], g.head_size,
                          g.out + job * sz(g.head_size), g.norm + job);
  }
  if (failed) throw *failed;
}

std::optional<ChecksumError> PlatformDriver::run_commands() {
  try {
    platform_.run_until_idle();
  } catch (const ChecksumError& e) {
    return e;
  }
  return std::nullopt;
}

}  // namespace tessera::sim
