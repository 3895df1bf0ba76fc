#include "runtime/opencl_kernels.hpp"

#include "tessera/hls/array_config.hpp"

#define CL_TARGET_OPENCL_VERSION 300
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>

#include <algorithm>
#include <exception>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "tessera/icd/cl_ext_tessera.h"

namespace tessera::runtime {
namespace {

std::size_t sz(long n) { return static_cast<std::size_t>(n); }

// Work-items per work-group of the source GEMM along N: small enough that a decode
// step's rows make several groups for the CPU's cores.
constexpr std::size_t kGemmGroup = 16;

void check(cl_int status, const char* what) {
  if (status == CL_CHECKSUM_MISMATCH_TESSERA) {
    throw ChecksumMismatch(std::string("OpenCL: ") + what +
                           ": the accelerator's GEMM checksums disagreed");
  }
  if (status != CL_SUCCESS) {
    throw std::runtime_error(std::string("OpenCL: ") + what + " failed (error " +
                             std::to_string(status) + ")");
  }
}

std::string platform_name(cl_platform_id p) {
  char name[256] = {};
  clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof name, name, nullptr);
  return name;
}

std::string name_of(cl_device_id d) {
  char name[256] = {};
  clGetDeviceInfo(d, CL_DEVICE_NAME, sizeof name, name, nullptr);
  return name;
}

cl_device_id find_device(const std::string& platform, const std::string& device) {
  cl_uint count = 0;
  clGetPlatformIDs(0, nullptr, &count);
  std::vector<cl_platform_id> platforms(count);
  if (count > 0) clGetPlatformIDs(count, platforms.data(), nullptr);
  std::string seen, offered;
  bool platform_found = false;
  for (cl_platform_id p : platforms) {
    seen += (seen.empty() ? "" : ", ") + platform_name(p);
    if (platform_name(p).find(platform) == std::string::npos) continue;
    platform_found = true;
    cl_uint devices = 0;
    clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, nullptr, &devices);
    std::vector<cl_device_id> list(devices);
    if (devices > 0) clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, devices, list.data(), nullptr);
    for (cl_device_id d : list) {
      if (name_of(d).find(device) != std::string::npos) return d;
      offered += (offered.empty() ? "" : ", ") + name_of(d);
    }
  }
  if (platform_found) {
    // The platform is there: the device itself is not offered (for tessera, an rtl
    // fidelity needs a Verilated engine of the preset's array).
    const bool rtl = device.find("(rtl)") != std::string::npos;
    throw std::runtime_error("the '" + platform + "' OpenCL platform offers no device '" + device +
                             "' (it offers: " + (offered.empty() ? "none" : offered) + ")" +
                             (rtl ? "; the rtl fidelity needs a Verilated engine of the preset's "
                                    "array size"
                                  : ""));
  }
  throw std::runtime_error("no OpenCL platform named '" + platform +
                           "' (platforms: " + (seen.empty() ? "none" : seen) +
                           "; set OCL_ICD_VENDORS to build/etc/OpenCL/vendors)");
}

// A call's int32 results, row-major, through its epilogue.
void store_all(const hls::GemmArgs& g, const std::int32_t* sums) {
  for (int r = 0; r < g.m; ++r) {
    for (int col = 0; col < g.n; ++col)
      hls::store_result(g, r, col, sums[sz(r) * sz(g.n) + sz(col)]);
  }
}

// Queued transfers read and write the caller's memory until the op's last read: an
// op that fails part way waits for what it queued before that memory goes away.
class FinishOnFailure {
 public:
  explicit FinishOnFailure(cl_command_queue queue)
      : queue_(queue), exceptions_(std::uncaught_exceptions()) {}
  ~FinishOnFailure() {
    if (std::uncaught_exceptions() > exceptions_) clFinish(queue_);
  }
  FinishOnFailure(const FinishOnFailure&) = delete;
  FinishOnFailure& operator=(const FinishOnFailure&) = delete;

 private:
  cl_command_queue queue_;
  int exceptions_;
};

// A device buffer that grows to the largest size asked for.
struct Scratch {
  cl_mem buffer = nullptr;
  std::size_t bytes = 0;
};

}  // namespace

struct OpenClKernels::State {
  cl_device_id device = nullptr;
  cl_context context = nullptr;
  cl_command_queue queue = nullptr;
  cl_program program = nullptr;
  cl_kernel gemm = nullptr, attention = nullptr;
  cl_kernel gemm_batch = nullptr;  // source kernels: a batch in one launch, if present
  // tessera's resident-data kernels (built-ins only)
  cl_kernel pack = nullptr, kv_append = nullptr;
  Kernels kernels = Kernels::kSource;
  int max_positions = 0;
  std::map<const std::int8_t*, cl_mem> weights;  // packed on tessera devices
  struct KvCache {
    cl_mem k = nullptr, v = nullptr, k_scale = nullptr, v_scale = nullptr;  // source kernels
    cl_mem records = nullptr;                                               // built-ins
    int positions = 0;
  };
  std::map<const std::int8_t*, KvCache> caches;
  std::vector<Scratch> a, c;  // per call of a batch
  Scratch q, q_scale, out, norm, k_new, v_new, k_scale_new, v_scale_new;
  std::vector<Command> commands;
  // Commands whose events have not been read: read once the op's results are in.
  std::vector<std::pair<Command, cl_event>> unread;

  bool built_in() const { return kernels == Kernels::kBuiltIn; }

  void record(const char* kind, cl_event event, std::uint64_t bytes) {
    unread.push_back({{kind, 0, 0, 0, bytes}, event});
  }
  // Keeps the profiling times of the commands enqueued since the last call.
  void read_events() {
    for (auto& [command, event] : unread) {
      clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_QUEUED, sizeof command.queued_ns,
                              &command.queued_ns, nullptr);
      clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_START, sizeof command.start_ns,
                              &command.start_ns, nullptr);
      clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, sizeof command.end_ns,
                              &command.end_ns, nullptr);
      clReleaseEvent(event);
      commands.push_back(command);
    }
    unread.clear();
  }

  cl_mem buffer(std::size_t bytes, const void* data = nullptr) {
    cl_int err = CL_SUCCESS;
    cl_mem b =
        clCreateBuffer(context, data ? CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR : CL_MEM_READ_WRITE,
                       bytes, const_cast<void*>(data), &err);
    check(err, "clCreateBuffer");
    return b;
  }
  cl_mem scratch(Scratch& s, std::size_t bytes) {
    if (s.bytes < bytes) {
      if (s.buffer != nullptr) clReleaseMemObject(s.buffer);
      s.buffer = buffer(bytes);
      s.bytes = bytes;
    }
    return s.buffer;
  }
  cl_mem slot(std::vector<Scratch>& slots, std::size_t i, std::size_t bytes) {
    if (slots.size() <= i) slots.resize(i + 1);
    return scratch(slots[i], bytes);
  }
  // Writes are queued without waiting, and so are reads but an op's last: `data` must
  // stay valid, and a read's destination unread, until that last (blocking) read
  // returns; the queue is in order, so every command before it has completed.
  void write(cl_mem b, std::size_t offset, std::size_t bytes, const void* data) {
    if (bytes == 0) return;
    cl_event event = nullptr;
    check(clEnqueueWriteBuffer(queue, b, CL_FALSE, offset, bytes, data, 0, nullptr, &event),
          "clEnqueueWriteBuffer");
    record("write", event, bytes);
  }
  void read(cl_mem b, std::size_t bytes, void* data, bool last) {
    cl_event event = nullptr;
    check(clEnqueueReadBuffer(queue, b, last ? CL_TRUE : CL_FALSE, 0, bytes, data, 0, nullptr,
                              &event),
          "clEnqueueReadBuffer");
    record("read", event, bytes);
  }
  template <typename T>
  void arg(cl_kernel k, cl_uint index, const T& value) {
    check(clSetKernelArg(k, index, sizeof(T), &value), "clSetKernelArg");
  }
  void args(cl_kernel k, std::initializer_list<cl_mem> buffers, std::initializer_list<int> values) {
    cl_uint i = 0;
    for (cl_mem b : buffers) arg(k, i++, b);
    for (int v : values) arg(k, i++, static_cast<cl_uint>(v));
  }
  // The source kernels run one work-item per output, in work-groups of `group` along
  // y (0: the implementation's choice) so the rows of one call spread over the CPU's
  // cores; built-ins run as a task. The command is submitted; a later blocking read
  // waits for it.
  void run(const char* kind, cl_kernel k, std::size_t x, std::size_t y, std::size_t group = 0) {
    cl_event event = nullptr;
    if (built_in()) {
      check(clEnqueueTask(queue, k, 0, nullptr, &event), "clEnqueueTask");
    } else {
      const std::size_t padded_y = group == 0 ? y : (y + group - 1) / group * group;
      const std::size_t global[2] = {x, padded_y}, local[2] = {1, group};
      check(clEnqueueNDRangeKernel(queue, k, 2, nullptr, global, group == 0 ? nullptr : local, 0,
                                   nullptr, &event),
            "clEnqueueNDRangeKernel");
    }
    record(kind, event, 0);
  }

  // The weights in device memory: row-major for the source kernels, packed into the
  // accelerator's layout (once, by the driver while it uploads) for the built-ins.
  cl_mem weight_buffer(const std::int8_t* w, int n, int k) {
    auto found = weights.find(w);
    if (found != weights.end()) return found->second;
    if (!built_in()) {  // the CPU device reads the host's copy in place
      cl_int err = CL_SUCCESS;
      cl_mem rows = clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_USE_HOST_PTR, sz(n) * sz(k),
                                   const_cast<std::int8_t*>(w), &err);
      check(err, "clCreateBuffer");
      return weights.emplace(w, rows).first->second;
    }
    cl_mem rows = buffer(sz(n) * sz(k), w);
    cl_mem packed = buffer(tessera_packed_weight_bytes(sz(n), sz(k)));
    args(pack, {rows, packed}, {n, k});
    run("pack", pack, 1, 1);
    read_events();
    clReleaseMemObject(rows);
    return weights.emplace(w, packed).first->second;
  }
};

OpenClKernels::OpenClKernels(const std::string& platform, const std::string& device,
                             Kernels kernels, int max_positions, const std::string& source_text)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.kernels = kernels;
  s.max_positions = max_positions;
  s.device = find_device(platform, device);
  cl_int err = CL_SUCCESS;
  s.context = clCreateContext(nullptr, 1, &s.device, nullptr, nullptr, &err);
  check(err, "clCreateContext");
  s.queue = clCreateCommandQueue(s.context, s.device, CL_QUEUE_PROFILING_ENABLE, &err);
  check(err, "clCreateCommandQueue");
  const char* gemm_name = s.built_in() ? "tessera_gemm_packed_s8s32" : "tessera_gemm_s8s32";
  const char* attention_name =
      s.built_in() ? "tessera_attention_cached_s8" : "tessera_attention_s8";
  if (s.built_in()) {
    s.program = clCreateProgramWithBuiltInKernels(
        s.context, 1, &s.device,
        "tessera_pack_weights_s8;tessera_gemm_packed_s8s32;tessera_kv_append_s8;"
        "tessera_attention_cached_s8",
        &err);
    check(err, "clCreateProgramWithBuiltInKernels");
  } else {
    const char* source = source_text.empty() ? int8_kernels_source() : source_text.c_str();
    s.program = clCreateProgramWithSource(s.context, 1, &source, nullptr, &err);
    check(err, "clCreateProgramWithSource");
  }
  if (clBuildProgram(s.program, 1, &s.device, "", nullptr, nullptr) != CL_SUCCESS) {
    std::vector<char> log(1 << 16);
    clGetProgramBuildInfo(s.program, s.device, CL_PROGRAM_BUILD_LOG, log.size(), log.data(),
                          nullptr);
    throw std::runtime_error(std::string("OpenCL: building the int8 kernels failed: ") +
                             log.data());
  }
  auto kernel = [&](const char* name) {
    cl_kernel k = clCreateKernel(s.program, name, &err);
    check(err, (std::string("clCreateKernel(") + name + ")").c_str());
    return k;
  };
  s.gemm = kernel(gemm_name);
  s.attention = kernel(attention_name);
  if (s.built_in()) {
    s.pack = kernel("tessera_pack_weights_s8");
    s.kv_append = kernel("tessera_kv_append_s8");
  } else {  // optional: a program of the user's (--cpu-kernels) may leave it out
    s.gemm_batch = clCreateKernel(s.program, "tessera_gemm_batch_s8s32", &err);
    if (err != CL_SUCCESS) s.gemm_batch = nullptr;
  }
}

OpenClKernels::~OpenClKernels() {
  State& s = *state_;
  s.read_events();
  for (auto& [key, b] : s.weights) clReleaseMemObject(b);
  for (auto& [key, cache] : s.caches) {
    for (cl_mem b : {cache.k, cache.v, cache.k_scale, cache.v_scale, cache.records}) {
      if (b != nullptr) clReleaseMemObject(b);
    }
  }
  std::vector<Scratch*> scratch = {&s.q,     &s.q_scale, &s.out,         &s.norm,
                                   &s.k_new, &s.v_new,   &s.k_scale_new, &s.v_scale_new};
  for (auto* slots : {&s.a, &s.c}) {
    for (Scratch& x : *slots) scratch.push_back(&x);
  }
  for (Scratch* x : scratch) {
    if (x->buffer != nullptr) clReleaseMemObject(x->buffer);
  }
  for (cl_kernel k : {s.attention, s.gemm, s.gemm_batch, s.pack, s.kv_append}) {
    if (k != nullptr) clReleaseKernel(k);
  }
  if (s.program) clReleaseProgram(s.program);
  if (s.queue) clReleaseCommandQueue(s.queue);
  if (s.context) clReleaseContext(s.context);
}

std::string OpenClKernels::device_name() const { return name_of(state_->device); }

const std::vector<OpenClKernels::Command>& OpenClKernels::commands() const {
  return state_->commands;
}

void OpenClKernels::clear_commands() { state_->commands.clear(); }

std::optional<OpenClKernels::DeviceCounters> OpenClKernels::device_counters() const {
  std::size_t size = 0;
  if (clGetDeviceInfo(state_->device, CL_DEVICE_COUNTERS_JSON_TESSERA, 0, nullptr, &size) !=
          CL_SUCCESS ||
      size == 0) {
    return std::nullopt;
  }
  std::string text(size, '\0');
  check(
      clGetDeviceInfo(state_->device, CL_DEVICE_COUNTERS_JSON_TESSERA, size, text.data(), nullptr),
      "clGetDeviceInfo(CL_DEVICE_COUNTERS_JSON_TESSERA)");
  text.resize(size - 1);
  const auto json = nlohmann::json::parse(text);
  DeviceCounters c;
  c.simulated_seconds = json.at("simulated_seconds").get<double>();
  c.host_link_bytes = json.at("host_link").at("bytes_to_device").get<std::uint64_t>() +
                      json.at("host_link").at("bytes_from_device").get<std::uint64_t>();
  c.memory_bytes_read = json.at("memory").at("bytes_read").get<std::uint64_t>();
  c.json = std::move(text);
  return c;
}

void OpenClKernels::finish() { check(clFinish(state_->queue), "clFinish"); }

void OpenClKernels::load_weights(const models::QuantizedMatrix& w) {
  state_->weight_buffer(w.values.data(), w.rows, w.cols);
}

// Calls that share their input (q/k/v, gate/up) share its transfer, and every call is
// submitted before the first result is read, so a device runs them as one submission
// and the host waits once per batch.
void OpenClKernels::gemms(const std::vector<hls::GemmArgs>& calls) {
  State& s = *state_;
  const FinishOnFailure drain(s.queue);
  for (const hls::GemmArgs& g : calls) {
    const hls::Status status = hls::validate(g);
    if (status != hls::Status::kOk) throw std::invalid_argument("gemm: " + hls::describe(status));
  }
  if (s.gemm_batch != nullptr && joinable(calls)) {
    gemm_batch(calls);
    return;
  }
  std::size_t a_slot = 0;  // of the previous call
  auto submit = [&](std::size_t i, std::size_t slot) {
    const hls::GemmArgs& g = calls[i];
    cl_mem w = s.weight_buffer(g.w, g.n, g.k);
    const std::size_t a_bytes = sz(g.m) * sz(g.k);
    const bool shared =
        slot > 0 && g.a == calls[i - 1].a && g.m == calls[i - 1].m && g.k == calls[i - 1].k;
    if (!shared) a_slot = slot;
    cl_mem a = s.slot(s.a, a_slot, a_bytes);
    if (!shared) s.write(a, 0, a_bytes, g.a);
    cl_mem c = s.slot(s.c, slot, 4 * sz(g.m) * sz(g.n));
    s.args(s.gemm, {a, w, c}, {g.m, g.n, g.k});
    s.run("gemm", s.gemm, sz(g.m), sz(g.n), kGemmGroup);
    return c;
  };
  std::vector<cl_mem> c(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) c[i] = submit(i, i);
  std::vector<std::vector<std::int32_t>> sums(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    sums[i].resize(sz(calls[i].m) * sz(calls[i].n));
    s.read(c[i], 4 * sums[i].size(), sums[i].data(), i + 1 == calls.size());
  }
  for (std::size_t i = 0; i < calls.size(); ++i) store_all(calls[i], sums[i].data());
  s.read_events();
}

// Two or three calls on one A: the CPU fallback's batch kernel takes them together.
bool OpenClKernels::joinable(const std::vector<hls::GemmArgs>& calls) {
  if (calls.size() < 2 || calls.size() > 3) return false;
  return std::all_of(calls.begin() + 1, calls.end(), [&](const hls::GemmArgs& g) {
    return g.a == calls[0].a && g.m == calls[0].m && g.k == calls[0].k;
  });
}

// One transfer of A, one launch and one read for the whole batch.
void OpenClKernels::gemm_batch(const std::vector<hls::GemmArgs>& calls) {
  State& s = *state_;
  const hls::GemmArgs& first = calls[0];
  const std::size_t a_bytes = sz(first.m) * sz(first.k);
  cl_mem a = s.slot(s.a, 0, a_bytes);
  s.write(a, 0, a_bytes, first.a);
  cl_mem w[3];
  int n[3] = {0, 0, 0};
  std::size_t columns = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    const hls::GemmArgs& g = calls[std::min(i, calls.size() - 1)];
    w[i] = s.weight_buffer(g.w, g.n, g.k);
    if (i < calls.size()) n[i] = g.n;
    columns += sz(n[i]);
  }
  std::vector<std::int32_t> sums(sz(first.m) * columns);
  cl_mem c = s.slot(s.c, 0, 4 * sums.size());
  s.args(s.gemm_batch, {a, w[0], w[1], w[2], c}, {first.m, n[0], n[1], n[2], first.k});
  s.run("gemm", s.gemm_batch, sz(first.m), columns, kGemmGroup);
  s.read(c, 4 * sums.size(), sums.data(), true);
  const std::int32_t* call_sums = sums.data();
  for (const hls::GemmArgs& g : calls) {
    store_all(g, call_sums);
    call_sums += sz(g.m) * sz(g.n);
  }
  s.read_events();
}

void OpenClKernels::attention(const hls::AttentionArgs& g) {
  State& s = *state_;
  const FinishOnFailure drain(s.queue);
  const hls::Status status = hls::validate(g, hls::kAttentionHeadMax, s.max_positions);
  if (status != hls::Status::kOk) {
    throw std::invalid_argument("attention: " + hls::describe(status));
  }
  const std::size_t row = sz(g.n_kv_heads) * sz(g.head_size);
  const std::size_t scales = sz(g.n_kv_heads) * 4;
  State::KvCache& cache = s.caches[g.k];
  const int last = g.first_position + g.n_queries;
  if (s.built_in()) {
    if (cache.records == nullptr) {
      cache.records =
          s.buffer(tessera_kv_cache_bytes(sz(g.n_kv_heads), sz(g.head_size), sz(s.max_positions)));
    }
    if (last > cache.positions) {  // the new positions go into the device's records
      const auto from = sz(cache.positions), count = sz(last - cache.positions);
      cl_mem k = s.scratch(s.k_new, count * row), v = s.scratch(s.v_new, count * row);
      cl_mem k_scale = s.scratch(s.k_scale_new, count * scales);
      cl_mem v_scale = s.scratch(s.v_scale_new, count * scales);
      s.write(k, 0, count * row, g.k + from * row);
      s.write(v, 0, count * row, g.v + from * row);
      s.write(k_scale, 0, count * scales, g.k_scale + from * sz(g.n_kv_heads));
      s.write(v_scale, 0, count * scales, g.v_scale + from * sz(g.n_kv_heads));
      s.args(
          s.kv_append, {k, k_scale, v, v_scale, cache.records},
          {cache.positions, static_cast<int>(count), s.max_positions, g.n_kv_heads, g.head_size});
      s.run("kv append", s.kv_append, 1, 1);
      cache.positions = last;
    }
  } else {
    if (cache.k == nullptr) {
      cache.k = s.buffer(sz(s.max_positions) * row);
      cache.v = s.buffer(sz(s.max_positions) * row);
      cache.k_scale = s.buffer(sz(s.max_positions) * scales);
      cache.v_scale = s.buffer(sz(s.max_positions) * scales);
    }
    if (last > cache.positions) {  // only the new positions go to the device
      const auto from = sz(cache.positions), count = sz(last - cache.positions);
      s.write(cache.k, from * row, count * row, g.k + from * row);
      s.write(cache.v, from * row, count * row, g.v + from * row);
      s.write(cache.k_scale, from * scales, count * scales, g.k_scale + from * sz(g.n_kv_heads));
      s.write(cache.v_scale, from * scales, count * scales, g.v_scale + from * sz(g.n_kv_heads));
      cache.positions = last;
    }
  }
  const std::size_t heads = sz(g.n_queries) * sz(g.n_heads);
  cl_mem q = s.scratch(s.q, heads * sz(g.head_size));
  cl_mem q_scale = s.scratch(s.q_scale, heads * 4);
  cl_mem out = s.scratch(s.out, heads * sz(g.head_size) * 4);
  cl_mem norm = s.scratch(s.norm, heads * 3 * 8);
  s.write(q, 0, heads * sz(g.head_size), g.q);
  s.write(q_scale, 0, heads * 4, g.q_scale);
  if (s.built_in()) {
    s.args(s.attention, {q, q_scale, cache.records, out, norm},
           {g.n_queries, g.first_position, g.n_heads, g.n_kv_heads, g.head_size});
  } else {
    s.args(s.attention, {q, q_scale, cache.k, cache.k_scale, cache.v, cache.v_scale, out, norm},
           {g.n_queries, g.first_position, g.n_heads, g.n_kv_heads, g.head_size});
  }
  // One work-item per work-group: the CPU kernel keeps an array of logits per item.
  s.run("attention", s.attention, sz(g.n_queries), sz(g.n_heads), 1);
  s.read(out, heads * sz(g.head_size) * 4, g.out, false);
  std::vector<std::int64_t> norms(heads * 3);
  s.read(norm, norms.size() * 8, norms.data(), true);
  for (std::size_t h = 0; h < heads; ++h) {
    g.norm[h] = {norms[3 * h], static_cast<std::uint64_t>(norms[3 * h + 1]),
                 static_cast<std::int32_t>(norms[3 * h + 2])};
  }
  s.read_events();
}

namespace {

// Every number of `after` less the same one of `before` (objects and arrays alike).
nlohmann::ordered_json subtract(const nlohmann::ordered_json& after,
                                const nlohmann::ordered_json& before) {
  if (after.is_number_unsigned() && before.is_number_unsigned()) {
    return after.get<std::uint64_t>() - before.get<std::uint64_t>();
  }
  if (after.is_number() && before.is_number()) return after.get<double>() - before.get<double>();
  nlohmann::ordered_json out = after;
  if (after.is_object()) {
    for (auto& [key, value] : out.items()) {
      if (before.contains(key)) value = subtract(after.at(key), before.at(key));
    }
  } else if (after.is_array()) {
    for (std::size_t i = 0; i < out.size() && i < before.size(); ++i) {
      out[i] = subtract(after[i], before[i]);
    }
  }
  return out;
}

double per_second(std::uint64_t bytes, double seconds) {
  return seconds > 0 ? static_cast<double>(bytes) / seconds / 1e9 : 0.0;
}

}  // namespace

nlohmann::ordered_json counters_difference(const nlohmann::ordered_json& after,
                                           const nlohmann::ordered_json& before) {
  nlohmann::ordered_json d = subtract(after, before);
  for (const char* fixed : {"preset", "fidelity", "clock_mhz", "memory_achievable_gbps"}) {
    if (after.contains(fixed)) d[fixed] = after[fixed];
  }
  const double seconds = d.value("simulated_seconds", 0.0);
  auto& memory = d["memory"];
  memory["bandwidth_gbps"] = per_second(memory.value("bytes_read", std::uint64_t{0}) +
                                            memory.value("bytes_written", std::uint64_t{0}),
                                        seconds);
  const double clock_hz = after.value("clock_mhz", 0.0) * 1e6;
  for (auto& unit : d["units"]) {
    const double busy = clock_hz > 0 ? unit.value("busy_cycles", 0.0) / clock_hz : 0.0;
    unit["bandwidth_gbps"] = per_second(
        unit.value("bytes_read", std::uint64_t{0}) + unit.value("bytes_written", std::uint64_t{0}),
        busy);
  }
  return d;
}

}  // namespace tessera::runtime
