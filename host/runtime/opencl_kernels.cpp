#include "runtime/opencl_kernels.hpp"

#include "tessera/hls/array_config.hpp"

#define CL_TARGET_OPENCL_VERSION 300
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>

#include <stdexcept>
#include <vector>

namespace tessera::runtime {
namespace {

std::size_t sz(long n) { return static_cast<std::size_t>(n); }

void check(cl_int status, const char* what) {
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
  std::string seen;
  for (cl_platform_id p : platforms) {
    seen += (seen.empty() ? "" : ", ") + platform_name(p);
    if (platform_name(p).find(platform) == std::string::npos) continue;
    cl_uint devices = 0;
    clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, nullptr, &devices);
    std::vector<cl_device_id> list(devices);
    if (devices > 0) clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, devices, list.data(), nullptr);
    for (cl_device_id d : list) {
      if (name_of(d).find(device) != std::string::npos) return d;
    }
  }
  throw std::runtime_error("no OpenCL device '" + device + "' on a platform named '" + platform +
                           "' (platforms: " + (seen.empty() ? "none" : seen) +
                           "; set OCL_ICD_VENDORS to build/etc/OpenCL/vendors)");
}

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
  Kernels kernels = Kernels::kSource;
  int max_positions = 0;
  std::map<const std::int8_t*, cl_mem> weights;
  struct KvCache {
    cl_mem k = nullptr, v = nullptr, k_scale = nullptr, v_scale = nullptr;
    int positions = 0;
  };
  std::map<const std::int8_t*, KvCache> caches;
  Scratch a, c, q, q_scale, out, norm;
  std::vector<Command> commands;

  // Keeps the command's profiling times and releases its event.
  void record(const char* kind, cl_event event, std::uint64_t bytes) {
    cl_ulong start = 0, end = 0;
    clWaitForEvents(1, &event);
    clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_START, sizeof start, &start, nullptr);
    clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, sizeof end, &end, nullptr);
    clReleaseEvent(event);
    commands.push_back({kind, start, end, bytes});
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
  void write(cl_mem b, std::size_t offset, std::size_t bytes, const void* data) {
    if (bytes == 0) return;
    cl_event event = nullptr;
    check(clEnqueueWriteBuffer(queue, b, CL_TRUE, offset, bytes, data, 0, nullptr, &event),
          "clEnqueueWriteBuffer");
    record("write", event, bytes);
  }
  void read(cl_mem b, std::size_t bytes, void* data) {
    cl_event event = nullptr;
    check(clEnqueueReadBuffer(queue, b, CL_TRUE, 0, bytes, data, 0, nullptr, &event),
          "clEnqueueReadBuffer");
    record("read", event, bytes);
  }
  template <typename T>
  void arg(cl_kernel k, cl_uint index, const T& value) {
    check(clSetKernelArg(k, index, sizeof(T), &value), "clSetKernelArg");
  }
  // The source kernels run one work-item per output; built-ins run as a task.
  void run(const char* kind, cl_kernel k, std::size_t x, std::size_t y) {
    cl_event event = nullptr;
    if (kernels == Kernels::kBuiltIn) {
      check(clEnqueueTask(queue, k, 0, nullptr, &event), "clEnqueueTask");
    } else {
      const std::size_t global[2] = {x, y};
      check(clEnqueueNDRangeKernel(queue, k, 2, nullptr, global, nullptr, 0, nullptr, &event),
            "clEnqueueNDRangeKernel");
    }
    record(kind, event, 0);
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
  if (kernels == Kernels::kBuiltIn) {
    s.program = clCreateProgramWithBuiltInKernels(s.context, 1, &s.device,
                                                  "tessera_gemm_s8s32;tessera_attention_s8", &err);
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
  s.gemm = clCreateKernel(s.program, "tessera_gemm_s8s32", &err);
  check(err, "clCreateKernel(tessera_gemm_s8s32)");
  s.attention = clCreateKernel(s.program, "tessera_attention_s8", &err);
  check(err, "clCreateKernel(tessera_attention_s8)");
}

OpenClKernels::~OpenClKernels() {
  State& s = *state_;
  for (auto& [key, b] : s.weights) clReleaseMemObject(b);
  for (auto& [key, cache] : s.caches) {
    for (cl_mem b : {cache.k, cache.v, cache.k_scale, cache.v_scale}) clReleaseMemObject(b);
  }
  for (Scratch* x : {&s.a, &s.c, &s.q, &s.q_scale, &s.out, &s.norm}) {
    if (x->buffer != nullptr) clReleaseMemObject(x->buffer);
  }
  if (s.attention) clReleaseKernel(s.attention);
  if (s.gemm) clReleaseKernel(s.gemm);
  if (s.program) clReleaseProgram(s.program);
  if (s.queue) clReleaseCommandQueue(s.queue);
  if (s.context) clReleaseContext(s.context);
}

std::string OpenClKernels::device_name() const { return name_of(state_->device); }

const std::vector<OpenClKernels::Command>& OpenClKernels::commands() const {
  return state_->commands;
}

void OpenClKernels::clear_commands() { state_->commands.clear(); }

void OpenClKernels::gemm(const hls::GemmArgs& g) {
  State& s = *state_;
  const hls::Status status = hls::validate(g);
  if (status != hls::Status::kOk) throw std::invalid_argument("gemm: " + hls::describe(status));
  auto found = s.weights.find(g.w);
  if (found == s.weights.end()) {
    found = s.weights.emplace(g.w, s.buffer(sz(g.n) * sz(g.k), g.w)).first;
  }
  const std::size_t a_bytes = sz(g.m) * sz(g.k), c_count = sz(g.m) * sz(g.n);
  cl_mem a = s.scratch(s.a, a_bytes), c = s.scratch(s.c, 4 * c_count);
  s.write(a, 0, a_bytes, g.a);
  s.arg(s.gemm, 0, a);
  s.arg(s.gemm, 1, found->second);
  s.arg(s.gemm, 2, c);
  s.arg(s.gemm, 3, static_cast<cl_uint>(g.m));
  s.arg(s.gemm, 4, static_cast<cl_uint>(g.n));
  s.arg(s.gemm, 5, static_cast<cl_uint>(g.k));
  s.run("gemm", s.gemm, sz(g.m), sz(g.n));
  std::vector<std::int32_t> sums(c_count);
  s.read(c, 4 * c_count, sums.data());
  for (int r = 0; r < g.m; ++r) {
    for (int col = 0; col < g.n; ++col) {
      hls::store_result(g, r, col, sums[sz(r) * sz(g.n) + sz(col)]);
    }
  }
}

void OpenClKernels::attention(const hls::AttentionArgs& g) {
  State& s = *state_;
  const hls::Status status = hls::validate(g, hls::kAttentionHeadMax, s.max_positions);
  if (status != hls::Status::kOk) {
    throw std::invalid_argument("attention: " + hls::describe(status));
  }
  const std::size_t row = sz(g.n_kv_heads) * sz(g.head_size);
  auto found = s.caches.find(g.k);
  if (found == s.caches.end()) {
    State::KvCache cache;
    cache.k = s.buffer(sz(s.max_positions) * row);
    cache.v = s.buffer(sz(s.max_positions) * row);
    cache.k_scale = s.buffer(sz(s.max_positions) * sz(g.n_kv_heads) * 4);
    cache.v_scale = s.buffer(sz(s.max_positions) * sz(g.n_kv_heads) * 4);
    found = s.caches.emplace(g.k, cache).first;
  }
  State::KvCache& cache = found->second;
  const int last = g.first_position + g.n_queries;
  if (last > cache.positions) {  // only the new positions go to the device
    const auto from = sz(cache.positions), count = sz(last - cache.positions);
    s.write(cache.k, from * row, count * row, g.k + from * row);
    s.write(cache.v, from * row, count * row, g.v + from * row);
    const std::size_t scales = sz(g.n_kv_heads) * 4;
    s.write(cache.k_scale, from * scales, count * scales, g.k_scale + from * sz(g.n_kv_heads));
    s.write(cache.v_scale, from * scales, count * scales, g.v_scale + from * sz(g.n_kv_heads));
    cache.positions = last;
  }
  const std::size_t heads = sz(g.n_queries) * sz(g.n_heads);
  cl_mem q = s.scratch(s.q, heads * sz(g.head_size));
  cl_mem q_scale = s.scratch(s.q_scale, heads * 4);
  cl_mem out = s.scratch(s.out, heads * sz(g.head_size) * 4);
  cl_mem norm = s.scratch(s.norm, heads * 3 * 8);
  s.write(q, 0, heads * sz(g.head_size), g.q);
  s.write(q_scale, 0, heads * 4, g.q_scale);
  const cl_mem buffers[] = {q, q_scale, cache.k, cache.k_scale, cache.v, cache.v_scale, out, norm};
  for (cl_uint i = 0; i < 8; ++i) s.arg(s.attention, i, buffers[i]);
  const cl_uint values[] = {static_cast<cl_uint>(g.n_queries),
                            static_cast<cl_uint>(g.first_position), static_cast<cl_uint>(g.n_heads),
                            static_cast<cl_uint>(g.n_kv_heads), static_cast<cl_uint>(g.head_size)};
  for (cl_uint i = 0; i < 5; ++i) s.arg(s.attention, 8 + i, values[i]);
  s.run("attention", s.attention, sz(g.n_queries), sz(g.n_heads));
  s.read(out, heads * sz(g.head_size) * 4, g.out);
  std::vector<std::int64_t> norms(heads * 3);
  s.read(norm, norms.size() * 8, norms.data());
  for (std::size_t h = 0; h < heads; ++h) {
    g.norm[h] = {norms[3 * h], static_cast<std::uint64_t>(norms[3 * h + 1]),
                 static_cast<std::int32_t>(norms[3 * h + 2])};
  }
}

}  // namespace tessera::runtime
