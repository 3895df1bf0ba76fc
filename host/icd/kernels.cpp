// The built-in kernels (docs/opencl.md): argument checks and what each submits to the
// simulated device.
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <memory>

#include "icd/util.hpp"
#include "tessera/hls/status.hpp"
#include "tessera/icd/cl_ext_tessera.h"
#include "tessera/numerics/int8.hpp"
#include "tessera/sim/device_abi.hpp"
#include "tessera/sim/platform_driver.hpp"

using namespace tessera::icd;
namespace sim = tessera::sim;
namespace hls = tessera::hls;

namespace {

using Args = std::vector<_cl_kernel::Arg>;

std::size_t sz(std::uint64_t n) { return static_cast<std::size_t>(n); }
std::size_t sz(int n) { return static_cast<std::size_t>(n); }

// The sizes of cl_ext_tessera.h hold for every supported array (tiles of 4 to 32
// rows, memory words of up to 32 bytes), so a program sizes its buffers without
// knowing the device.
std::uint64_t packed_weight_bytes(std::uint64_t n, std::uint64_t k) {
  return tessera_packed_weight_bytes(n, k);
}

// Byte counts from 32-bit arguments can pass 2^64: they saturate there, so that no
// product wraps around to a size a small buffer holds.
constexpr std::uint64_t kTooMany = std::numeric_limits<std::uint64_t>::max();
std::uint64_t bytes(std::initializer_list<std::uint64_t> factors) {
  std::uint64_t product = 1;
  for (std::uint64_t f : factors) {
    if (__builtin_mul_overflow(product, f, &product)) return kTooMany;
  }
  return product;
}
// tessera_kv_cache_bytes, saturating: one record's bytes per position and kv head.
std::uint64_t kv_cache_bytes(std::uint64_t kv_heads, std::uint64_t head_size,
                             std::uint64_t capacity) {
  return bytes({kv_heads, capacity, tessera_kv_cache_bytes(1, sz(head_size), 1)});
}

// The arguments' buffers: set, alive and of the queue's context.
cl_int check_buffers(cl_command_queue queue, const Args& args, std::size_t count) {
  for (const auto& arg : args) {
    if (!arg.set) return CL_INVALID_KERNEL_ARGS;
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (args[i].buffer == nullptr) return CL_INVALID_KERNEL_ARGS;
    if (!valid(args[i].buffer)) return CL_INVALID_MEM_OBJECT;
    if (args[i].buffer->context != queue->context) return CL_INVALID_CONTEXT;
  }
  return CL_SUCCESS;
}

// A launch that checks its arguments and talks to one device.
class Launch {
 public:
  Launch(cl_command_queue queue, cl_kernel kernel, cl_event* event)
      : queue_(queue),
        kernel_(kernel),
        event_(event),
        device_(queue->device),
        queued_(device_time_ns(queue->device)) {}

  const Args& args() const { return kernel_->args; }
  cl_mem buffer(std::size_t i) const { return args()[i].buffer; }
  std::uint64_t value(std::size_t i) const { return args()[i].value; }
  cl_device_id device() const { return device_; }
  const hls::HardwareConfig& config() const { return device_->config; }
  sim::Platform& platform() const { return device_->simulator(); }

  // CL_INVALID_VALUE, with the reason for the context's callback.
  cl_int invalid(const std::string& why) const {
    return fail(queue_->context, CL_INVALID_VALUE, kernel_->name + ": " + why);
  }
  cl_int too_small(std::size_t i, const char* name, std::uint64_t needed) const {
    return invalid(std::string(name) + " holds " + std::to_string(buffer(i)->size) +
                   " bytes; the call needs " +
                   (needed == kTooMany ? "more than 2^64" : std::to_string(needed)));
  }
  cl_int failed(const std::exception& e) const {
    return fail(queue_->context, error_code(e), kernel_->name + ": " + e.what());
  }

  // Kernels that read their inputs in host memory wait for submitted results first.
  void wait_for_results(std::initializer_list<std::size_t> inputs) const {
    for (std::size_t i : inputs) {
      if (buffer(i)->storage().pending_results > 0) device_->finish();
    }
  }

  // A kernel done by the time the call returns (its last posted write lands at `end`).
  cl_int completed(cl_ulong end = 0) const {
    if (event_ != nullptr) {
      *event_ = make_event(queue_, CL_COMMAND_NDRANGE_KERNEL, queued_, queued_,
                           std::max(end, device_time_ns(device_)));
    }
    return CL_SUCCESS;
  }
  // A kernel whose commands run with the device's next submission.
  cl_int submitted(std::vector<std::uint64_t> commands) const {
    cl_event event = nullptr;
    if (event_ != nullptr) {
      event = make_event(queue_, CL_COMMAND_NDRANGE_KERNEL, queued_, queued_, queued_);
      event->status = CL_SUBMITTED;
      *event_ = event;
    }
    device_->pending.push_back({event, std::move(commands), queued_});
    return CL_SUCCESS;
  }
  // Output buffers whose results the submission brings back to host memory: their
  // other bytes come there first (before the kernel's commands go in).
  void results_to_host(std::initializer_list<std::size_t> outputs) const {
    for (std::size_t i : outputs) buffer(i)->on_host();
  }
  // Results that come back with the submission into `out` (results_to_host first).
  void deliver(cl_mem out, std::function<void(std::uint8_t*)> write) const {
    ++out->storage().pending_results;
    device_->after_run.push_back([out, write = std::move(write)] {
      write(out->host_bytes());
      out->written(0, out->size);
      --out->storage().pending_results;
    });
  }
  std::uint64_t scratch(std::uint64_t bytes) const {
    const std::uint64_t address = platform().allocate(bytes);
    device_->run_scratch.push_back(address);
    return address;
  }

 private:
  cl_command_queue queue_;
  cl_kernel kernel_;
  cl_event* event_;
  cl_device_id device_;
  cl_ulong queued_;
};

cl_ulong store(cl_mem buffer, const void* data, std::size_t bytes) {
  return write_region(buffer, 0, bytes, data);
}

// C (int32, M x N) = A (M x K) * W^T on `w` resident at `w_address`, through the
// driver: operands and results staged through the host in the units' layouts.
void staged_gemm(sim::Platform& platform, const std::int8_t* a, std::uint64_t w_address, int m,
                 int n, int k, std::int32_t* c) {
  sim::PlatformDriver driver(platform);
  hls::GemmArgs g;
  g.a = a;
  g.m = m;
  g.n = n;
  g.k = k;
  g.c_int32 = c;
  driver.gemm(g, {w_address, n, k});
  driver.release_scratch();
  platform.forget_command_times(platform.next_command());  // no event needs them
}

// tessera_gemm_s8s32(A, W, C, M, N, K): C[m][n] = sum_k A[m][k] * W[n][k], row-major.
// W is packed on every call, and A and C are staged through the host.
cl_int launch_gemm(cl_command_queue queue, cl_kernel kernel, cl_event* event) {
  const Launch l(queue, kernel, event);
  if (const cl_int e = check_buffers(queue, l.args(), 3); e != CL_SUCCESS) return e;
  const std::uint64_t m = l.value(3), n = l.value(4), k = l.value(5);
  if (m * k > l.buffer(0)->size) return l.too_small(0, "A", m * k);
  if (n * k > l.buffer(1)->size) return l.too_small(1, "W", n * k);
  if (bytes({4, m, n}) > l.buffer(2)->size) return l.too_small(2, "C", bytes({4, m, n}));
  if (k > static_cast<std::uint64_t>(tessera::numerics::kMaxAccumulationDepth)) {
    return l.invalid("K = " + std::to_string(k) + " exceeds the accumulation limit " +
                     std::to_string(tessera::numerics::kMaxAccumulationDepth));
  }
  try {
    l.device()->finish();
    std::vector<std::int32_t> result(m * n, 0);
    if (m > 0 && n > 0 && k > 0) {
      sim::Platform& platform = l.platform();
      const auto* a = reinterpret_cast<const std::int8_t*>(l.buffer(0)->on_host());
      const auto* w = reinterpret_cast<const std::int8_t*>(l.buffer(1)->on_host());
      sim::PlatformDriver driver(platform);
      const auto weights = driver.upload_weights(w, static_cast<int>(n), static_cast<int>(k));
      staged_gemm(platform, a, weights.address, static_cast<int>(m), static_cast<int>(n),
                  static_cast<int>(k), result.data());
      platform.release(weights.address);
    }
    if (m > 0 && n > 0) l.buffer(2)->on_host();
    const cl_ulong landed =
        m > 0 && n > 0 ? store(l.buffer(2), result.data(), 4 * result.size()) : 0;
    return l.completed(landed);
  } catch (const std::exception& e) {
    return l.failed(e);
  }
}

// tessera_pack_weights_s8(W, W_packed, N, K): W (N x K, row-major) into W_packed in
// the device's tiled layout, resident in device memory. The driver packs while it
// uploads: contents still in host memory cross the host link once, packed; contents
// already on the device come back over the link first (the device has no reformat
// engine).
cl_int launch_pack_weights(cl_command_queue queue, cl_kernel kernel, cl_event* event) {
  const Launch l(queue, kernel, event);
  if (const cl_int e = check_buffers(queue, l.args(), 2); e != CL_SUCCESS) return e;
  const std::uint64_t n = l.value(2), k = l.value(3);
  cl_mem w = l.buffer(0), packed = l.buffer(1);
  if (n == 0 || k == 0) return l.invalid("N and K must be at least 1");
  if (w == packed) return l.invalid("W and W_packed must be different buffers");
  if (k > static_cast<std::uint64_t>(tessera::numerics::kMaxAccumulationDepth)) {
    return l.invalid("K = " + std::to_string(k) + " exceeds the accumulation limit");
  }
  if (n * k > w->size) return l.too_small(0, "W", n * k);
  if (packed_weight_bytes(n, k) > packed->size) {
    return l.too_small(1, "W_packed", packed_weight_bytes(n, k));
  }
  try {
    l.wait_for_results({0, 1});
    const int cols = l.config().gemm.cols;
    const auto* rows = reinterpret_cast<const std::int8_t*>(w->on_host());
    std::vector<std::uint8_t> tiled(
        sim::tiled_bytes(static_cast<int>(n), static_cast<int>(k), cols));
    sim::pack_tiled(rows, static_cast<int>(n), static_cast<int>(k), cols, tiled.data());
    const std::uint64_t address = packed->overwritten_on_device(l.device());
    const cl_ulong landed = ns(l.platform().write(address, tiled.data(), tiled.size()));
    packed->layout = {};
    packed->layout.kind = _cl_mem::Layout::Kind::kPackedWeights;
    packed->layout.device = l.device();
    packed->layout.n = static_cast<std::uint32_t>(n);
    packed->layout.k = static_cast<std::uint32_t>(k);
    return l.completed(landed);
  } catch (const std::exception& e) {
    return l.failed(e);
  }
}

// Vector mode fits: one row, K at least a word, A within the operand buffer.
bool vector_mode_fits(const hls::HardwareConfig& c, std::uint64_t m, std::uint64_t k) {
  const auto rows = static_cast<std::uint64_t>(c.gemm.rows);
  return m == 1 && k >= rows &&
         sim::vector_a_bytes(static_cast<int>(k), c.gemm.rows) / rows <=
             static_cast<std::uint64_t>(c.gemm.buffer_words);
}

// tessera_gemm_packed_s8s32(A, W_packed, C, M, N, K): as tessera_gemm_s8s32 with W
// packed on the device. One row (decode) runs in the units' vector mode on A in
// place, W streamed from device memory, every unit taking a share of W's row tiles;
// only the N results come back. Larger M stages A and C through the host.
cl_int launch_gemm_packed(cl_command_queue queue, cl_kernel kernel, cl_event* event) {
  const Launch l(queue, kernel, event);
  if (const cl_int e = check_buffers(queue, l.args(), 3); e != CL_SUCCESS) return e;
  const std::uint64_t m = l.value(3), n = l.value(4), k = l.value(5);
  cl_mem a = l.buffer(0), packed = l.buffer(1), c = l.buffer(2);
  const _cl_mem::Layout& layout = packed->layout;
  if (layout.kind != _cl_mem::Layout::Kind::kPackedWeights || layout.device != l.device() ||
      layout.n != n || layout.k != k) {
    return l.invalid("W_packed holds no " + std::to_string(n) + "x" + std::to_string(k) +
                     " weights packed for this device (tessera_pack_weights_s8 packs them)");
  }
  if (m * k > a->size) return l.too_small(0, "A", m * k);
  if (bytes({4, m, n}) > c->size) return l.too_small(2, "C", bytes({4, m, n}));
  if (a == c) return l.invalid("A and C must be different buffers");
  if (m == 0) return l.completed();
  const hls::HardwareConfig& config = l.config();
  try {
    const std::uint64_t w_address = packed->on_device(l.device());
    if (!vector_mode_fits(config, m, k)) {
      l.device()->finish();
      std::vector<std::int32_t> result(m * n);
      staged_gemm(l.platform(), reinterpret_cast<const std::int8_t*>(a->on_host()), w_address,
                  static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), result.data());
      c->on_host();
      return l.completed(store(c, result.data(), 4 * result.size()));
    }
    l.wait_for_results({0});
    l.results_to_host({2});
    const std::uint64_t a_address = a->on_device(l.device());
    const int cols = config.gemm.cols, units = std::max(1, config.gemm.count);
    const int n_tiles = static_cast<int>((n + sz(cols) - 1) / sz(cols));
    const int per_command = (n_tiles + units - 1) / units;
    const std::size_t result_bytes = sim::vector_result_bytes(n_tiles, cols);
    const std::uint64_t c_address = l.scratch(result_bytes);
    std::vector<std::uint64_t> commands;
    for (int nt0 = 0; nt0 < n_tiles; nt0 += per_command) {
      sim::GemmCommand command;
      command.vector = true;
      command.n_tiles = std::min(per_command, n_tiles - nt0);
      command.k = static_cast<int>(k);
      command.a = a_address;
      command.w = w_address + sz(nt0) * k * sz(cols);
      command.c = c_address + sim::vector_result_bytes(nt0, cols);
      commands.push_back(l.platform().enqueue(command));
    }
    // The N results lead the region (the padding of the last row tile follows them).
    auto results = std::make_shared<std::vector<std::uint8_t>>(4 * n);
    l.platform().read_when_done(c_address, results->data(), 4 * n);
    l.deliver(c, [results, n](std::uint8_t* out) { std::memcpy(out, results->data(), 4 * n); });
    return l.submitted(std::move(commands));
  } catch (const std::exception& e) {
    return l.failed(e);
  }
}

cl_int check_heads(const Launch& l, std::uint64_t heads, std::uint64_t kv_heads,
                   std::uint64_t head_size) {
  const auto head_max = static_cast<std::uint64_t>(l.config().attention.head_size_max);
  if (head_size == 0 || head_size > head_max) {
    return l.invalid("head size " + std::to_string(head_size) + ": the device supports 1.." +
                     std::to_string(head_max));
  }
  if (heads == 0 || kv_heads == 0 || heads % kv_heads != 0) {
    return l.invalid(std::to_string(heads) + " query heads do not form groups of " +
                     std::to_string(kv_heads) + " kv heads");
  }
  return CL_SUCCESS;
}

// The scalars of an attention kernel (n_queries, first_position, n_heads, n_kv_heads,
// head_size from argument `first_value` on), checked against the device.
struct AttentionCall {
  std::uint64_t queries = 0, first = 0, heads = 0, kv_heads = 0, head_size = 0;
  std::uint64_t positions() const { return first + queries; }
  std::uint64_t rows() const { return queries * heads; }
  // The call's arguments (pointers left null) for the records and the driver.
  hls::AttentionArgs args() const {
    hls::AttentionArgs g;
    g.n_queries = static_cast<int>(queries);
    g.first_position = static_cast<int>(first);
    g.n_heads = static_cast<int>(heads);
    g.n_kv_heads = static_cast<int>(kv_heads);
    g.head_size = static_cast<int>(head_size);
    return g;
  }
};

cl_int read_attention_call(const Launch& l, std::size_t first_value, AttentionCall& call) {
  call = {l.value(first_value), l.value(first_value + 1), l.value(first_value + 2),
          l.value(first_value + 3), l.value(first_value + 4)};
  if (const cl_int e = check_heads(l, call.heads, call.kv_heads, call.head_size); e) return e;
  if (call.queries == 0) return l.invalid("n_queries must be at least 1");
  if (call.positions() > static_cast<std::uint64_t>(l.config().attention.context_max)) {
    return l.invalid(std::to_string(call.positions()) + " positions exceed the attention units' " +
                     std::to_string(l.config().attention.context_max));
  }
  return CL_SUCCESS;
}

// Buffer `i` (named) holds at least the bytes the call needs, for every entry.
struct Needed {
  std::size_t buffer;
  const char* name;
  std::uint64_t bytes;
};
cl_int check_sizes(const Launch& l, std::initializer_list<Needed> needed) {
  for (const Needed& n : needed) {
    if (n.bytes > l.buffer(n.buffer)->size) return l.too_small(n.buffer, n.name, n.bytes);
  }
  return CL_SUCCESS;
}

// The first `count` fp32 scales of each buffer, in host memory, are what the units
// take: finite and non-negative (hls::Status::kBadScale). A caller's data, so
// CL_INVALID_VALUE before anything is submitted, not a failed device.
struct Scales {
  std::size_t buffer;
  const char* name;
  std::uint64_t count;
};
cl_int check_scales(const Launch& l, std::initializer_list<Scales> all) {
  for (const Scales& s : all) {
    const std::uint8_t* bytes = l.buffer(s.buffer)->on_host();
    for (std::uint64_t j = 0; j < s.count; ++j) {
      float scale = 0.0f;
      std::memcpy(&scale, bytes + 4 * j, sizeof scale);
      if (!std::isfinite(scale) || scale < 0.0f) {
        return l.invalid(std::string(s.name) + "[" + std::to_string(j) + "] = " +
                         std::to_string(scale) + ": " + hls::describe(hls::Status::kBadScale));
      }
    }
  }
  return CL_SUCCESS;
}

// The `norm` argument's layout: three int64 per (query, head).
void store_norms(const tessera::numerics::AttentionNorm* norms, std::size_t count,
                 std::uint8_t* out) {
  for (std::size_t i = 0; i < count; ++i) {
    const std::int64_t words[3] = {norms[i].max_weight, static_cast<std::int64_t>(norms[i].exp_sum),
                                   static_cast<std::int64_t>(norms[i].exponent)};
    std::memcpy(out + i * sizeof words, words, sizeof words);
  }
}

// tessera_kv_append_s8(k, k_scale, v, v_scale, kv_cache, position, count, capacity,
// n_kv_heads, head_size): the keys and values of positions [position, position +
// count) ([count][n_kv_heads][head_size] int8, [count][n_kv_heads] float scales)
// into kv_cache, a K/V cache of `capacity` positions in the attention units' record
// layout, resident on the device. Only the new records cross the host link.
cl_int launch_kv_append(cl_command_queue queue, cl_kernel kernel, cl_event* event) {
  const Launch l(queue, kernel, event);
  if (const cl_int e = check_buffers(queue, l.args(), 5); e != CL_SUCCESS) return e;
  const std::uint64_t position = l.value(5), count = l.value(6), capacity = l.value(7),
                      kv_heads = l.value(8), head_size = l.value(9);
  if (const cl_int e = check_heads(l, kv_heads, kv_heads, head_size); e != CL_SUCCESS) return e;
  if (count == 0 || capacity == 0) return l.invalid("count and capacity must be at least 1");
  if (position + count > capacity) {
    return l.invalid("positions [" + std::to_string(position) + ", " +
                     std::to_string(position + count) + ") lie beyond the cache's " +
                     std::to_string(capacity) + " positions");
  }
  const std::uint64_t values = bytes({count, kv_heads, head_size});
  const std::uint64_t scales = bytes({4, count, kv_heads});
  if (const cl_int e =
          check_sizes(l, {{0, "k", values},
                          {1, "k_scale", scales},
                          {2, "v", values},
                          {3, "v_scale", scales},
                          {4, "kv_cache", kv_cache_bytes(kv_heads, head_size, capacity)}});
      e != CL_SUCCESS) {
    return e;
  }
  cl_mem cache = l.buffer(4);
  try {
    l.wait_for_results({0, 1, 2, 3});
    if (const cl_int e =
            check_scales(l, {{1, "k_scale", count * kv_heads}, {3, "v_scale", count * kv_heads}});
        e != CL_SUCCESS) {
      return e;
    }
    _cl_mem::Layout& layout = cache->layout;
    const bool same_cache = layout.kind == _cl_mem::Layout::Kind::kKvCache &&
                            layout.device == l.device() && layout.n_kv_heads == kv_heads &&
                            layout.head_size == head_size && layout.capacity == capacity;
    const std::uint64_t address =
        same_cache ? cache->on_device(l.device()) : cache->overwritten_on_device(l.device());
    if (!same_cache) {
      layout = {};
      layout.kind = _cl_mem::Layout::Kind::kKvCache;
      layout.device = l.device();
      layout.n_kv_heads = static_cast<std::uint32_t>(kv_heads);
      layout.head_size = static_cast<std::uint32_t>(head_size);
      layout.capacity = static_cast<std::uint32_t>(capacity);
    }
    hls::AttentionArgs g;
    g.k = reinterpret_cast<const std::int8_t*>(l.buffer(0)->on_host());
    g.k_scale = reinterpret_cast<const float*>(l.buffer(1)->on_host());
    g.v = reinterpret_cast<const std::int8_t*>(l.buffer(2)->on_host());
    g.v_scale = reinterpret_cast<const float*>(l.buffer(3)->on_host());
    g.n_kv_heads = static_cast<int>(kv_heads);
    g.head_size = static_cast<int>(head_size);
    const sim::AttentionRecords records =
        sim::attention_records(l.config(), static_cast<int>(head_size));
    const std::size_t kv = records.kv_bytes();
    std::vector<std::uint8_t> block(sz(count) * kv);
    cl_ulong landed = 0;
    // Records of a kv head are contiguous: one transfer per kv head.
    for (int h = 0; h < g.n_kv_heads; ++h) {
      for (std::uint64_t t = 0; t < count; ++t) {
        records.pack_kv(g, static_cast<int>(t), h, &block[sz(t) * kv]);
      }
      landed = ns(l.platform().write(address + (sz(h) * capacity + position) * kv, block.data(),
                                     block.size()));
    }
    layout.filled =
        std::max<std::uint32_t>(layout.filled, static_cast<std::uint32_t>(position + count));
    return l.completed(landed);
  } catch (const std::exception& e) {
    return l.failed(e);
  }
}

// tessera_attention_cached_s8(q, q_scale, kv_cache, out, norm, n_queries,
// first_position, n_heads, n_kv_heads, head_size): tessera_attention_s8 on a K/V
// cache that tessera_kv_append_s8 filled. Query records go up, one attention job
// per (query, kv head) serves the kv head's group of query heads and reads the cache
// in place once, result records come back.
cl_int launch_attention_cached(cl_command_queue queue, cl_kernel kernel, cl_event* event) {
  const Launch l(queue, kernel, event);
  if (const cl_int e = check_buffers(queue, l.args(), 5); e != CL_SUCCESS) return e;
  AttentionCall call;
  if (const cl_int e = read_attention_call(l, 5, call); e != CL_SUCCESS) return e;
  cl_mem cache = l.buffer(2);
  const _cl_mem::Layout& layout = cache->layout;
  if (layout.kind != _cl_mem::Layout::Kind::kKvCache || layout.device != l.device() ||
      layout.n_kv_heads != call.kv_heads || layout.head_size != call.head_size) {
    return l.invalid("kv_cache holds no K/V cache of " + std::to_string(call.kv_heads) +
                     " kv heads of size " + std::to_string(call.head_size) +
                     " on this device (tessera_kv_append_s8 fills one)");
  }
  if (call.positions() > layout.filled) {
    return l.invalid("position " + std::to_string(call.positions() - 1) + " lies beyond the " +
                     std::to_string(layout.filled) + " positions appended to kv_cache");
  }
  const std::uint64_t rows = call.rows(), head_size = call.head_size;
  if (const cl_int e = check_sizes(l, {{0, "q", rows * head_size},
                                       {1, "q_scale", rows * 4},
                                       {3, "out", rows * head_size * 4},
                                       {4, "norm", rows * 24}});
      e != CL_SUCCESS) {
    return e;
  }
  try {
    l.wait_for_results({0, 1});
    if (const cl_int e = check_scales(l, {{1, "q_scale", rows}}); e != CL_SUCCESS) return e;
    l.results_to_host({3, 4});
    hls::AttentionArgs g = call.args();
    g.q = reinterpret_cast<const std::int8_t*>(l.buffer(0)->on_host());
    g.q_scale = reinterpret_cast<const float*>(l.buffer(1)->on_host());
    const sim::AttentionRecords records =
        sim::attention_records(l.config(), static_cast<int>(head_size));
    const std::size_t jobs = sz(rows), query_bytes = records.query_bytes(),
                      result_bytes = records.result_bytes(), kv = records.kv_bytes();
    std::vector<std::uint8_t> packed(jobs * query_bytes);
    for (int j = 0; j < g.n_queries; ++j) {
      for (int h = 0; h < g.n_heads; ++h) {
        records.pack_query(g, j, h, &packed[(sz(j) * sz(g.n_heads) + sz(h)) * query_bytes]);
      }
    }
    const std::uint64_t cache_address = cache->on_device(l.device());
    const std::uint64_t q_address = l.scratch(packed.size());
    l.platform().write(q_address, packed.data(), packed.size());
    const std::uint64_t out_address = l.scratch(jobs * result_bytes);
    // One job per (query, kv head): a GQA group's heads read their K/V records once.
    const int group = g.n_heads / g.n_kv_heads;
    std::vector<std::uint64_t> commands;
    for (int j = 0; j < g.n_queries; ++j) {
      for (int kv_head = 0; kv_head < g.n_kv_heads; ++kv_head) {
        const std::size_t job = sz(j) * sz(g.n_heads) + sz(kv_head) * sz(group);
        sim::AttentionCommand command;
        command.positions = g.first_position + j + 1;
        command.head_size = g.head_size;
        command.group = group;
        command.query = q_address + job * query_bytes;
        command.kv = cache_address + sz(kv_head) * layout.capacity * kv;
        command.out = out_address + job * result_bytes;
        commands.push_back(l.platform().enqueue(command));
      }
    }
    auto results = std::make_shared<std::vector<std::uint8_t>>(jobs * result_bytes);
    l.platform().read_when_done(out_address, results->data(), results->size());
    auto norms = std::make_shared<std::vector<tessera::numerics::AttentionNorm>>(jobs);
    auto unpacked = std::make_shared<std::vector<std::int32_t>>(jobs * head_size);
    auto done = std::make_shared<bool>(false);
    // Both outputs come from one result record per job: unpacked once, by whichever
    // delivery runs first.
    auto unpack = [=] {
      if (*done) return;
      *done = true;
      for (std::size_t job = 0; job < jobs; ++job) {
        records.unpack_result(&(*results)[job * result_bytes], static_cast<int>(head_size),
                              unpacked->data() + job * head_size, &(*norms)[job]);
      }
    };
    l.deliver(l.buffer(3), [=](std::uint8_t* out) {
      unpack();
      std::memcpy(out, unpacked->data(), unpacked->size() * 4);
    });
    l.deliver(l.buffer(4), [=](std::uint8_t* out) {
      unpack();
      store_norms(norms->data(), jobs, out);
    });
    return l.submitted(std::move(commands));
  } catch (const std::exception& e) {
    return l.failed(e);
  }
}

// tessera_attention_s8(q, q_scale, k, k_scale, v, v_scale, out, norm, n_queries,
// first_position, n_heads, n_kv_heads, head_size): the layouts of hls::AttentionArgs
// (docs/opencl.md), the whole K/V cache staged through the host into records on
// every call.
cl_int launch_attention(cl_command_queue queue, cl_kernel kernel, cl_event* event) {
  const Launch l(queue, kernel, event);
  if (const cl_int e = check_buffers(queue, l.args(), 8); e != CL_SUCCESS) return e;
  AttentionCall call;
  if (const cl_int e = read_attention_call(l, 8, call); e != CL_SUCCESS) return e;
  const std::uint64_t rows = call.rows(), head_size = call.head_size;
  const std::uint64_t kv_bytes = call.positions() * call.kv_heads * head_size,
                      kv_scales = call.positions() * call.kv_heads * 4;
  if (const cl_int e = check_sizes(l, {{0, "q", rows * head_size},
                                       {1, "q_scale", rows * 4},
                                       {2, "k", kv_bytes},
                                       {3, "k_scale", kv_scales},
                                       {4, "v", kv_bytes},
                                       {5, "v_scale", kv_scales},
                                       {6, "out", rows * head_size * 4},
                                       {7, "norm", rows * 24}});
      e != CL_SUCCESS) {
    return e;
  }
  try {
    l.device()->finish();
    const std::uint64_t kv_rows = call.positions() * call.kv_heads;
    if (const cl_int e = check_scales(
            l, {{1, "q_scale", rows}, {3, "k_scale", kv_rows}, {5, "v_scale", kv_rows}});
        e != CL_SUCCESS) {
      return e;
    }
    std::vector<std::int32_t> out(rows * head_size);
    std::vector<tessera::numerics::AttentionNorm> norms(rows);
    hls::AttentionArgs g = call.args();
    g.q = reinterpret_cast<const std::int8_t*>(l.buffer(0)->on_host());
    g.q_scale = reinterpret_cast<const float*>(l.buffer(1)->on_host());
    g.k = reinterpret_cast<const std::int8_t*>(l.buffer(2)->on_host());
    g.k_scale = reinterpret_cast<const float*>(l.buffer(3)->on_host());
    g.v = reinterpret_cast<const std::int8_t*>(l.buffer(4)->on_host());
    g.v_scale = reinterpret_cast<const float*>(l.buffer(5)->on_host());
    g.out = out.data();
    g.norm = norms.data();
    sim::PlatformDriver driver(l.platform());
    auto cache =
        driver.allocate_kv_cache(g.n_kv_heads, g.head_size, static_cast<int>(call.positions()));
    driver.attention(g, cache);
    driver.release_kv_cache(cache);
    driver.release_scratch();
    l.platform().forget_command_times(l.platform().next_command());  // no event needs them
    std::vector<std::uint8_t> norm_words(rows * 24);
    store_norms(norms.data(), rows, norm_words.data());
    l.buffer(6)->on_host();
    l.buffer(7)->on_host();
    store(l.buffer(6), out.data(), out.size() * 4);
    return l.completed(store(l.buffer(7), norm_words.data(), norm_words.size()));
  } catch (const std::exception& e) {
    return l.failed(e);
  }
}

}  // namespace

namespace tessera::icd {

// docs/opencl.md documents every built-in kernel's arguments.
const std::vector<BuiltInKernel>& built_in_kernels() {
  static const std::vector<BuiltInKernel> kernels = {
      {"tessera_gemm_s8s32", 6, 3, launch_gemm},
      {"tessera_attention_s8", 13, 8, launch_attention},
      {"tessera_pack_weights_s8", 4, 2, launch_pack_weights},
      {"tessera_gemm_packed_s8s32", 6, 3, launch_gemm_packed},
      {"tessera_kv_append_s8", 10, 5, launch_kv_append},
      {"tessera_attention_cached_s8", 10, 5, launch_attention_cached}};
  return kernels;
}

}  // namespace tessera::icd
