// The ICD's kernel-argument and buffer-range checks under hostile input. Each input
// is a short OpenCL program on a few fresh buffers of a kv260 device (func or tlm):
// kernel launches with any arguments, and reads, writes, copies, fills and
// rectangular transfers at any offsets, sizes, origins and pitches. Every call either
// succeeds and does what a host mirror of the buffers says, or returns the error the
// OpenCL 3.0 specification names for the fault (the mirror's own rules, written here
// from the spec, not from the ICD). Host memory handed to a call is exactly what the
// call may touch, so ASan stops an ICD that reads or writes past it; a GEMM that
// succeeds on distinct buffers must equal the nested-loop int8 reference.
#define CL_TARGET_OPENCL_VERSION 300
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "tessera/models/int8_reference.hpp"

namespace {

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "icd_fuzzer: %s\n", what.c_str());
  std::abort();
}
void expect(bool holds, const std::string& what) {
  if (!holds) fail(what);
}
std::string code(cl_int status) { return std::to_string(status); }

// Buffer sizes stay small so that every launch the checks let through runs fast; the
// values below still reach every overflow the checks must catch.
constexpr std::size_t kMaxBuffer = 4096;
constexpr std::size_t kMaxHostBytes = 1 << 16;

struct KernelShape {
  std::string name;
  std::vector<bool> is_buffer;  // per argument
};

// One device with a context, an in-order queue and the built-in kernels' program.
struct Session {
  cl_device_id device = nullptr;
  cl_context context = nullptr;
  cl_command_queue queue = nullptr;
  cl_program program = nullptr;
  std::vector<KernelShape> kernels;
};

cl_device_id find_device(const std::string& wanted) {
  cl_uint count = 0;
  clGetPlatformIDs(0, nullptr, &count);
  std::vector<cl_platform_id> platforms(count);
  if (count > 0) clGetPlatformIDs(count, platforms.data(), nullptr);
  for (cl_platform_id p : platforms) {
    cl_uint devices = 0;
    if (clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, 0, nullptr, &devices) != CL_SUCCESS) continue;
    std::vector<cl_device_id> ids(devices);
    clGetDeviceIDs(p, CL_DEVICE_TYPE_ALL, devices, ids.data(), nullptr);
    for (cl_device_id d : ids) {
      char name[256] = {};
      clGetDeviceInfo(d, CL_DEVICE_NAME, sizeof name, name, nullptr);
      if (std::string(name) == wanted) return d;
    }
  }
  fail("no OpenCL device '" + wanted + "' (OCL_ICD_VENDORS=" TESSERA_FUZZ_ICD_VENDORS ")");
}

// Which arguments of a built-in kernel are buffers: a cl_uint-sized value is refused
// by exactly those (CL_INVALID_ARG_SIZE).
KernelShape probe(cl_program program, const std::string& name) {
  cl_int err = CL_SUCCESS;
  cl_kernel kernel = clCreateKernel(program, name.c_str(), &err);
  expect(err == CL_SUCCESS, "clCreateKernel(" + name + ") returned " + code(err));
  cl_uint arguments = 0;
  clGetKernelInfo(kernel, CL_KERNEL_NUM_ARGS, sizeof arguments, &arguments, nullptr);
  KernelShape shape{name, {}};
  for (cl_uint i = 0; i < arguments; ++i) {
    const cl_uint value = 0;
    shape.is_buffer.push_back(clSetKernelArg(kernel, i, sizeof value, &value) ==
                              CL_INVALID_ARG_SIZE);
  }
  clReleaseKernel(kernel);
  return shape;
}

Session open_session(const std::string& device_name) {
  Session s;
  s.device = find_device(device_name);
  cl_int err = CL_SUCCESS;
  s.context = clCreateContext(nullptr, 1, &s.device, nullptr, nullptr, &err);
  expect(err == CL_SUCCESS, "clCreateContext returned " + code(err));
  s.queue = clCreateCommandQueueWithProperties(s.context, s.device, nullptr, &err);
  expect(err == CL_SUCCESS, "clCreateCommandQueueWithProperties returned " + code(err));
  std::size_t length = 0;
  clGetDeviceInfo(s.device, CL_DEVICE_BUILT_IN_KERNELS, 0, nullptr, &length);
  std::string names(length, '\0');
  clGetDeviceInfo(s.device, CL_DEVICE_BUILT_IN_KERNELS, length, names.data(), nullptr);
  names.resize(std::strlen(names.c_str()));
  s.program = clCreateProgramWithBuiltInKernels(s.context, 1, &s.device, names.c_str(), &err);
  expect(err == CL_SUCCESS, "clCreateProgramWithBuiltInKernels returned " + code(err));
  for (std::size_t start = 0; start < names.size();) {
    const std::size_t end = std::min(names.find(';', start), names.size());
    s.kernels.push_back(probe(s.program, names.substr(start, end - start)));
    start = end + 1;
  }
  return s;
}

std::array<Session, 2>& sessions() {
  static std::array<Session, 2> all = {open_session("tessera kv260 (func)"),
                                       open_session("tessera kv260 (tlm)")};
  return all;
}

// A buffer and what its contents must be. Host-pointer buffers use memory the
// harness owns, exactly as large as the buffer.
struct Buffer {
  cl_mem mem = nullptr;
  std::vector<std::uint8_t> mirror;
  std::unique_ptr<std::uint8_t[]> host;
  bool host_writable = true;
};

// Sizes and offsets as careless or hostile callers pass them: mostly within reach of
// a buffer, some just past it, some enormous.
std::size_t extent(FuzzedDataProvider& in, std::size_t reach) {
  switch (in.ConsumeIntegralInRange(0, 7)) {
    case 0:
      return std::numeric_limits<std::size_t>::max() - in.ConsumeIntegralInRange<std::size_t>(0, 8);
    case 1:
      return std::size_t{1} << in.ConsumeIntegralInRange(32, 63);
    case 2:
      return in.ConsumeIntegral<std::size_t>();
    default:
      return in.ConsumeIntegralInRange<std::size_t>(0, reach + 1);
  }
}
cl_uint value(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 5)) {
    case 0:
      return in.ConsumeIntegral<cl_uint>();
    case 1:
      return in.ConsumeIntegralInRange<cl_uint>(0, 1024);
    default:
      return in.ConsumeIntegralInRange<cl_uint>(0, 48);
  }
}

// size bytes at offset lie inside a buffer of `size_of` bytes.
bool inside(std::size_t offset, std::size_t size, std::size_t size_of) {
  return offset <= size_of && size <= size_of - offset;
}

class Program {
 public:
  Program(Session& session, FuzzedDataProvider& in) : s_(session), in_(in) {}
  ~Program() {
    for (Buffer& b : buffers_) clReleaseMemObject(b.mem);
  }

  void run() {
    const int count = in_.ConsumeIntegralInRange(1, 3);
    for (int i = 0; i < count; ++i) add_buffer();
    for (int step = 0; step < 8 && in_.remaining_bytes() > 0; ++step) {
      switch (in_.ConsumeIntegralInRange(0, 7)) {
        case 0:
          launch();
          break;
        case 1:
          read();
          break;
        case 2:
          write();
          break;
        case 3:
          copy();
          break;
        case 4:
          fill();
          break;
        case 5:
          read_rect();
          break;
        default:
          write_rect();
          break;
      }
    }
    expect(clFinish(s_.queue) == CL_SUCCESS, "clFinish failed");
    for (std::size_t i = 0; i < buffers_.size(); ++i) {
      expect(contents(i) == buffers_[i].mirror,
             "buffer " + std::to_string(i) + " differs from its mirror at the end");
    }
  }

 private:
  void add_buffer() {
    Buffer b;
    const std::size_t size = in_.ConsumeIntegralInRange<std::size_t>(1, kMaxBuffer);
    b.mirror.resize(size);
    const std::uint32_t seed = in_.ConsumeIntegral<std::uint32_t>();
    for (std::size_t i = 0; i < size; ++i) {
      b.mirror[i] = static_cast<std::uint8_t>((seed + i * 2654435761u) >> 13);
    }
    cl_mem_flags flags = CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR;
    void* data = b.mirror.data();
    switch (in_.ConsumeIntegralInRange(0, 3)) {
      case 0:
        b.host.reset(new std::uint8_t[size]);
        std::memcpy(b.host.get(), b.mirror.data(), size);
        flags = CL_MEM_READ_WRITE | CL_MEM_USE_HOST_PTR;
        data = b.host.get();
        break;
      case 1:
        flags |= CL_MEM_HOST_READ_ONLY;
        b.host_writable = false;
        break;
      default:
        break;
    }
    cl_int err = CL_SUCCESS;
    b.mem = clCreateBuffer(s_.context, flags, size, data, &err);
    expect(err == CL_SUCCESS, "clCreateBuffer(" + std::to_string(size) + ") returned " + code(err));
    buffers_.push_back(std::move(b));
  }

  Buffer& pick() {
    return buffers_[in_.ConsumeIntegralInRange<std::size_t>(0, buffers_.size() - 1)];
  }

  std::vector<std::uint8_t> contents(std::size_t i) {
    std::vector<std::uint8_t> out(buffers_[i].mirror.size());
    const cl_int status = clEnqueueReadBuffer(s_.queue, buffers_[i].mem, CL_TRUE, 0, out.size(),
                                              out.data(), 0, nullptr, nullptr);
    expect(status == CL_SUCCESS, "reading back a whole buffer returned " + code(status));
    return out;
  }

  // A kernel with arguments mostly of the right kinds; what it returns must be one
  // of the errors for what was wrong with them, and what it computes is checked.
  void launch() {
    const KernelShape& shape =
        s_.kernels[in_.ConsumeIntegralInRange<std::size_t>(0, s_.kernels.size() - 1)];
    cl_int err = CL_SUCCESS;
    cl_kernel kernel = clCreateKernel(s_.program, shape.name.c_str(), &err);
    expect(err == CL_SUCCESS, "clCreateKernel returned " + code(err));
    bool all_set = true;
    std::vector<std::size_t> buffer_of;  // per buffer argument, which buffer
    std::vector<cl_uint> values;
    for (cl_uint i = 0; i < shape.is_buffer.size(); ++i) {
      const int how = in_.ConsumeIntegralInRange(0, 31);
      cl_int status = CL_SUCCESS;
      if (how == 0) {
        all_set = false;
        continue;
      }
      if (how == 1) {  // the other kind's size: refused, the argument stays unset
        const std::uint64_t wide = 0;
        status = clSetKernelArg(kernel, i, shape.is_buffer[i] ? 4 : sizeof wide, &wide);
        expect(status == CL_INVALID_ARG_SIZE, shape.name + ": a wrong-sized argument " +
                                                  std::to_string(i) + " returned " + code(status));
        all_set = false;
        continue;
      }
      if (shape.is_buffer[i]) {
        const std::size_t b = in_.ConsumeIntegralInRange<std::size_t>(0, buffers_.size() - 1);
        buffer_of.push_back(b);
        status = clSetKernelArg(kernel, i, sizeof(cl_mem), &buffers_[b].mem);
      } else {
        values.push_back(value(in_));
        status = clSetKernelArg(kernel, i, sizeof(cl_uint), &values.back());
      }
      expect(status == CL_SUCCESS,
             shape.name + ": argument " + std::to_string(i) + " returned " + code(status));
    }
    std::string call = shape.name + "(";
    for (std::size_t b : buffer_of)
      call += "buffer of " + std::to_string(buffers_[b].mirror.size()) + ", ";
    for (cl_uint v : values) call += std::to_string(v) + ", ";
    call += ")";
    const std::vector<std::vector<std::uint8_t>> before = mirrors();
    const cl_int status = enqueue(kernel);
    clReleaseKernel(kernel);
    const bool allowed = status == CL_SUCCESS || status == CL_INVALID_VALUE ||
                         (!all_set && status == CL_INVALID_KERNEL_ARGS);
    expect(allowed, call + " returned " + code(status));
    expect(clFinish(s_.queue) == CL_SUCCESS, shape.name + ": clFinish failed");
    if (status != CL_SUCCESS) {
      check_unchanged(shape.name + " refused, yet ");
      return;
    }
    expect(all_set, shape.name + " ran with arguments unset");
    if (shape.name == "tessera_gemm_s8s32") check_gemm(buffer_of, values, before);
    for (std::size_t i = 0; i < buffers_.size(); ++i) buffers_[i].mirror = contents(i);
  }

  cl_int enqueue(cl_kernel kernel) {
    if (in_.ConsumeBool()) return clEnqueueTask(s_.queue, kernel, 0, nullptr, nullptr);
    const std::size_t global = 1, local = 1;
    return clEnqueueNDRangeKernel(s_.queue, kernel, 1, nullptr, &global, &local, 0, nullptr,
                                  nullptr);
  }

  std::vector<std::vector<std::uint8_t>> mirrors() const {
    std::vector<std::vector<std::uint8_t>> all;
    for (const Buffer& b : buffers_) all.push_back(b.mirror);
    return all;
  }

  void check_unchanged(const std::string& context) {
    for (std::size_t i = 0; i < buffers_.size(); ++i) {
      expect(contents(i) == buffers_[i].mirror,
             context + "buffer " + std::to_string(i) + " changed");
    }
  }

  // C = A * W^T on distinct buffers equals the nested-loop reference on the inputs'
  // contents before the launch.
  void check_gemm(const std::vector<std::size_t>& buffer_of, const std::vector<cl_uint>& values,
                  const std::vector<std::vector<std::uint8_t>>& before) {
    if (buffer_of.size() != 3 || values.size() != 3) return;
    if (buffer_of[0] == buffer_of[2] || buffer_of[1] == buffer_of[2]) return;
    const cl_uint m = values[0], n = values[1], k = values[2];
    if (m == 0 || n == 0) return;
    const auto bytes = [&](std::size_t b, std::size_t count) {
      const auto* p = reinterpret_cast<const std::int8_t*>(before[b].data());
      return std::vector<std::int8_t>(p, p + count);
    };
    const std::vector<std::int32_t> expected = tessera::models::int8_reference::gemm(
        bytes(buffer_of[0], std::size_t{m} * k), bytes(buffer_of[1], std::size_t{n} * k),
        static_cast<int>(m), static_cast<int>(n), static_cast<int>(k));
    std::vector<std::int32_t> c(expected.size());
    const cl_int status = clEnqueueReadBuffer(s_.queue, buffers_[buffer_of[2]].mem, CL_TRUE, 0,
                                              4 * c.size(), c.data(), 0, nullptr, nullptr);
    expect(status == CL_SUCCESS, "reading C returned " + code(status));
    expect(c == expected, "tessera_gemm_s8s32 " + std::to_string(m) + "x" + std::to_string(n) +
                              "x" + std::to_string(k) + " differs from the int8 reference");
  }

  void read() {
    Buffer& b = pick();
    const std::size_t offset = extent(in_, b.mirror.size()), size = extent(in_, b.mirror.size());
    const bool valid = size > 0 && inside(offset, size, b.mirror.size());
    std::vector<std::uint8_t> out(std::min(size, kMaxHostBytes));
    void* ptr = in_.ConsumeIntegralInRange(0, 15) == 0 ? nullptr : out.data();
    const cl_int status =
        clEnqueueReadBuffer(s_.queue, b.mem, CL_TRUE, offset, size, ptr, 0, nullptr, nullptr);
    const cl_int wanted = valid && ptr != nullptr ? CL_SUCCESS : CL_INVALID_VALUE;
    expect(status == wanted, "read " + std::to_string(offset) + "+" + std::to_string(size) +
                                 " returned " + code(status) + ", not " + code(wanted));
    if (status == CL_SUCCESS) {
      expect(std::equal(out.begin(), out.end(), b.mirror.begin() + static_cast<long>(offset)),
             "read " + std::to_string(offset) + "+" + std::to_string(size) + " differs");
    }
  }

  void write() {
    Buffer& b = pick();
    const std::size_t offset = extent(in_, b.mirror.size()), size = extent(in_, b.mirror.size());
    const bool valid = size > 0 && inside(offset, size, b.mirror.size());
    std::vector<std::uint8_t> data(std::min(size, kMaxHostBytes),
                                   in_.ConsumeIntegral<std::uint8_t>());
    const cl_int status = clEnqueueWriteBuffer(s_.queue, b.mem, CL_TRUE, offset, size, data.data(),
                                               0, nullptr, nullptr);
    const cl_int wanted = !valid            ? CL_INVALID_VALUE
                          : b.host_writable ? CL_SUCCESS
                                            : CL_INVALID_OPERATION;
    expect(status == wanted, "write " + std::to_string(offset) + "+" + std::to_string(size) +
                                 " returned " + code(status) + ", not " + code(wanted));
    if (status == CL_SUCCESS) {
      std::copy(data.begin(), data.end(), b.mirror.begin() + static_cast<long>(offset));
    }
  }

  void copy() {
    Buffer& from = pick();
    Buffer& to = pick();
    const std::size_t source = extent(in_, from.mirror.size()),
                      target = extent(in_, to.mirror.size()),
                      size = extent(in_, std::min(from.mirror.size(), to.mirror.size()));
    const bool valid = size > 0 && inside(source, size, from.mirror.size()) &&
                       inside(target, size, to.mirror.size());
    const bool overlap = &from == &to && std::max(source, target) < std::min(source, target) + size;
    const cl_int status =
        clEnqueueCopyBuffer(s_.queue, from.mem, to.mem, source, target, size, 0, nullptr, nullptr);
    const cl_int wanted = !valid ? CL_INVALID_VALUE : overlap ? CL_MEM_COPY_OVERLAP : CL_SUCCESS;
    expect(status == wanted, "copy " + std::to_string(source) + "+" + std::to_string(size) +
                                 " -> " + std::to_string(target) + " returned " + code(status) +
                                 ", not " + code(wanted));
    if (status == CL_SUCCESS) {
      std::copy_n(from.mirror.begin() + static_cast<long>(source), size,
                  to.mirror.begin() + static_cast<long>(target));
    }
  }

  void fill() {
    Buffer& b = pick();
    static constexpr std::size_t kPatternSizes[] = {0, 1, 2, 3, 4, 8, 16, 32, 64, 128, 256};
    const std::size_t pattern_size =
        kPatternSizes[in_.ConsumeIntegralInRange<std::size_t>(0, std::size(kPatternSizes) - 1)];
    std::vector<std::uint8_t> pattern(std::max<std::size_t>(pattern_size, 1));
    for (std::uint8_t& byte : pattern) byte = in_.ConsumeIntegral<std::uint8_t>();
    const std::size_t offset = extent(in_, b.mirror.size()), size = extent(in_, b.mirror.size());
    const bool size_ok = pattern_size == 1 || pattern_size == 2 || pattern_size == 4 ||
                         pattern_size == 8 || pattern_size == 16 || pattern_size == 32 ||
                         pattern_size == 64 || pattern_size == 128;
    const bool valid = size_ok && inside(offset, size, b.mirror.size()) &&
                       offset % pattern_size == 0 && size % pattern_size == 0;
    const cl_int status = clEnqueueFillBuffer(s_.queue, b.mem, pattern.data(), pattern_size, offset,
                                              size, 0, nullptr, nullptr);
    expect(status == (valid ? CL_SUCCESS : CL_INVALID_VALUE),
           "fill " + std::to_string(offset) + "+" + std::to_string(size) + " with a " +
               std::to_string(pattern_size) + "-byte pattern returned " + code(status));
    if (status == CL_SUCCESS) {
      for (std::size_t i = 0; i < size; ++i) b.mirror[offset + i] = pattern[i % pattern_size];
    }
  }

  // A rectangle of a read or write, with the spec's rules for it (OpenCL 3.0,
  // clEnqueueReadBufferRect): region non-zero; a row pitch of 0 means region[0], a
  // slice pitch of 0 means region[1] x row pitch; row pitch >= region[0], slice pitch
  // >= region[1] x row pitch and a multiple of it. Extents are exact (128 bits).
  struct Rect {
    using Wide = unsigned __int128;  // saturates instead of wrapping
    static Wide add(Wide a, Wide b) {
      Wide r = 0;
      return __builtin_add_overflow(a, b, &r) ? ~Wide{0} : r;
    }
    static Wide mul(Wide a, Wide b) {
      Wide r = 0;
      return __builtin_mul_overflow(a, b, &r) ? ~Wide{0} : r;
    }
    std::array<std::size_t, 3> origin{}, region{};
    std::size_t row_pitch = 0, slice_pitch = 0;
    bool valid = false;
    Wide end = 0;  // one past the last byte
    void resolve() {
      if (region[0] == 0 || region[1] == 0 || region[2] == 0) return;
      const Wide row = row_pitch == 0 ? region[0] : row_pitch;
      const Wide slice = slice_pitch == 0 ? mul(region[1], row) : slice_pitch;
      if (row > std::numeric_limits<std::size_t>::max() ||
          slice > std::numeric_limits<std::size_t>::max())
        return;
      if (row < region[0] || slice < mul(region[1], row) || slice % row != 0) return;
      row_pitch = static_cast<std::size_t>(row);
      slice_pitch = static_cast<std::size_t>(slice);
      end = add(offset(region[1] - 1, region[2] - 1), region[0]);
      valid = true;
    }
    Wide offset(std::size_t y, std::size_t z) const {
      return add(add(origin[0], mul(add(origin[1], y), row_pitch)),
                 mul(add(origin[2], z), slice_pitch));
    }
  };

  Rect rect(std::size_t reach, const std::array<std::size_t, 3>* region) {
    Rect r;
    for (std::size_t& o : r.origin)
      o = in_.ConsumeIntegralInRange(0, 5) == 0 ? extent(in_, reach)
                                                : in_.ConsumeIntegralInRange<std::size_t>(0, 40);
    if (region != nullptr) {
      r.region = *region;
    } else {
      for (std::size_t& e : r.region)
        e = in_.ConsumeIntegralInRange(0, 5) == 0 ? extent(in_, reach)
                                                  : in_.ConsumeIntegralInRange<std::size_t>(0, 24);
    }
    const auto pitch = [&] {
      const int how = in_.ConsumeIntegralInRange(0, 5);
      return how < 2   ? 0
             : how < 5 ? in_.ConsumeIntegralInRange<std::size_t>(0, 200)
                       : extent(in_, reach);
    };
    r.row_pitch = pitch();
    r.slice_pitch = pitch();
    return r;
  }

  // The region's rows, as pairs of offsets into the buffer and into host memory.
  template <typename CopyRow>
  static void for_each_row(const Rect& buffer, const Rect& host, CopyRow&& copy_row) {
    for (std::size_t z = 0; z < buffer.region[2]; ++z) {
      for (std::size_t y = 0; y < buffer.region[1]; ++y) {
        copy_row(static_cast<std::size_t>(buffer.offset(y, z)),
                 static_cast<std::size_t>(host.offset(y, z)));
      }
    }
  }

  // A rectangle pair as the call gives it and as the spec resolves it, when its host
  // side fits in host memory the harness can hand over (host memory the ICD cannot
  // check); false when it does not.
  struct RectPair {
    Rect given_buffer, given_host, in_buffer, in_host;
    std::size_t host_bytes = 64;  // refused before any byte moves, if the host side is
  };
  bool rects(const Buffer& b, RectPair& p) {
    p.given_buffer = rect(b.mirror.size(), nullptr);
    p.given_host = rect(kMaxHostBytes, &p.given_buffer.region);
    p.in_buffer = p.given_buffer;
    p.in_host = p.given_host;
    p.in_buffer.resolve();
    p.in_host.resolve();
    if (!p.in_host.valid) return true;
    if (p.in_host.end > kMaxHostBytes) return false;
    p.host_bytes = static_cast<std::size_t>(p.in_host.end);
    return true;
  }

  cl_int wanted_rect(const Buffer& b, const Rect& in_buffer, const Rect& in_host) const {
    return in_buffer.valid && in_host.valid && in_buffer.end <= b.mirror.size() ? CL_SUCCESS
                                                                                : CL_INVALID_VALUE;
  }

  void read_rect() {
    Buffer& b = pick();
    RectPair p;
    if (!rects(b, p)) return;
    std::vector<std::uint8_t> host(p.host_bytes, 0xa5);
    const std::vector<std::uint8_t> untouched = host;
    const cl_int status = clEnqueueReadBufferRect(
        s_.queue, b.mem, CL_TRUE, p.given_buffer.origin.data(), p.given_host.origin.data(),
        p.given_buffer.region.data(), p.given_buffer.row_pitch, p.given_buffer.slice_pitch,
        p.given_host.row_pitch, p.given_host.slice_pitch, host.data(), 0, nullptr, nullptr);
    const cl_int wanted = wanted_rect(b, p.in_buffer, p.in_host);
    expect(status == wanted, "read rect returned " + code(status) + ", not " + code(wanted));
    std::vector<std::uint8_t> expected = untouched;
    if (status == CL_SUCCESS) {
      for_each_row(p.in_buffer, p.in_host, [&](std::size_t from, std::size_t to) {
        std::copy_n(b.mirror.begin() + static_cast<long>(from), p.in_buffer.region[0],
                    expected.begin() + static_cast<long>(to));
      });
    }
    expect(host == expected, "read rect wrote other bytes than its region's");
  }

  void write_rect() {
    Buffer& b = pick();
    RectPair p;
    if (!rects(b, p)) return;
    std::vector<std::uint8_t> host(p.host_bytes);
    for (std::size_t i = 0; i < host.size(); ++i) host[i] = static_cast<std::uint8_t>(i * 7 + 3);
    const cl_int status = clEnqueueWriteBufferRect(
        s_.queue, b.mem, CL_TRUE, p.given_buffer.origin.data(), p.given_host.origin.data(),
        p.given_buffer.region.data(), p.given_buffer.row_pitch, p.given_buffer.slice_pitch,
        p.given_host.row_pitch, p.given_host.slice_pitch, host.data(), 0, nullptr, nullptr);
    const cl_int valid = wanted_rect(b, p.in_buffer, p.in_host);
    const cl_int wanted = valid != CL_SUCCESS ? valid
                          : b.host_writable   ? CL_SUCCESS
                                              : CL_INVALID_OPERATION;
    expect(status == wanted, "write rect returned " + code(status) + ", not " + code(wanted));
    if (status == CL_SUCCESS) {
      for_each_row(p.in_buffer, p.in_host, [&](std::size_t to, std::size_t from) {
        std::copy_n(host.begin() + static_cast<long>(from), p.in_buffer.region[0],
                    b.mirror.begin() + static_cast<long>(to));
      });
    }
  }

  // Two rectangles of equal region in one or two buffers. In one buffer the pitches
  // must be equal; regions sharing a byte must be refused with CL_MEM_COPY_OVERLAP,
  // and the spec lets an implementation refuse disjoint ones whose extents overlap.
  void copy_rect() {
    Buffer& from = pick();
    Buffer& to = pick();
    Rect source = rect(from.mirror.size(), nullptr);
    Rect target = rect(to.mirror.size(), &source.region);
    const Rect given_source = source, given_target = target;
    source.resolve();
    target.resolve();
    const bool valid = source.valid && target.valid && source.end <= from.mirror.size() &&
                       target.end <= to.mirror.size();
    const bool same = &from == &to;
    std::vector<bool> source_bytes(from.mirror.size());
    bool shares_a_byte = false;
    if (valid) {
      for_each_row(source, source, [&](std::size_t s, std::size_t) {
        for (std::size_t i = 0; i < source.region[0]; ++i) source_bytes[s + i] = true;
      });
      if (same) {
        for_each_row(target, target, [&](std::size_t t, std::size_t) {
          for (std::size_t i = 0; i < target.region[0]; ++i) shares_a_byte |= source_bytes[t + i];
        });
      }
    }
    const cl_int status = clEnqueueCopyBufferRect(
        s_.queue, from.mem, to.mem, given_source.origin.data(), given_target.origin.data(),
        given_source.region.data(), given_source.row_pitch, given_source.slice_pitch,
        given_target.row_pitch, given_target.slice_pitch, 0, nullptr, nullptr);
    std::string why;
    if (!valid || (same && (source.row_pitch != target.row_pitch ||
                            source.slice_pitch != target.slice_pitch))) {
      why = status == CL_INVALID_VALUE ? "" : "not CL_INVALID_VALUE";
    } else if (shares_a_byte) {
      why = status == CL_MEM_COPY_OVERLAP ? "" : "not CL_MEM_COPY_OVERLAP";
    } else {
      const bool ok = status == CL_SUCCESS || (same && status == CL_MEM_COPY_OVERLAP);
      why = ok ? "" : "not CL_SUCCESS";
    }
    expect(why.empty(), "copy rect returned " + code(status) + ", " + why);
    if (status == CL_SUCCESS) {
      const std::vector<std::uint8_t> was = from.mirror;
      for_each_row(source, target, [&](std::size_t s, std::size_t t) {
        std::copy_n(was.begin() + static_cast<long>(s), source.region[0],
                    to.mirror.begin() + static_cast<long>(t));
      });
    }
  }

  Session& s_;
  FuzzedDataProvider& in_;
  std::vector<Buffer> buffers_;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("OCL_ICD_VENDORS", TESSERA_FUZZ_ICD_VENDORS, 1);
  sessions();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  Session& session = sessions()[in.ConsumeIntegralInRange(0, 7) == 0 ? 1 : 0];
  Program(session, in).run();
  return 0;
}
