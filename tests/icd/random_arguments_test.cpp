// Hostile arguments from an OpenCL program: random sizes, offsets, aliased buffers
// and out-of-range values for every built-in kernel and for the buffer commands.
// Every call either succeeds (and then computes what the nested-loop int8 reference
// or a host mirror says) or returns CL_INVALID_VALUE; none crashes, hangs or reports
// the device out of resources. Run under ASan and UBSan by the sanitizer pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <random>

#include "opencl_support.hpp"
#include "tessera/icd/cl_ext_tessera.h"
#include "tessera/models/int8_reference.hpp"

namespace tessera::testing {
namespace {

constexpr const char* kBuiltIns =
    "tessera_gemm_s8s32;tessera_attention_s8;tessera_pack_weights_s8;tessera_gemm_packed_s8s32;"
    "tessera_kv_append_s8;tessera_attention_cached_s8";

// How many of a built-in kernel's arguments, leading, are buffers (docs/opencl.md).
cl_uint buffer_arguments(const std::string& kernel) {
  if (kernel == "tessera_attention_s8") return 8;
  if (kernel == "tessera_pack_weights_s8") return 2;
  if (kernel == "tessera_kv_append_s8" || kernel == "tessera_attention_cached_s8") return 5;
  return 3;  // the two GEMMs
}

// Values a careless or hostile caller passes: mostly small, some at tile and word
// boundaries, some enormous.
cl_uint random_value(std::mt19937& rng) {
  const int pick = std::uniform_int_distribution<int>(0, 99)(rng);
  if (pick < 55) return std::uniform_int_distribution<cl_uint>(0, 48)(rng);
  if (pick < 80) return std::uniform_int_distribution<cl_uint>(0, 700)(rng);
  static const cl_uint edges[] = {0,     1,          15,         16,         17,
                                  31,    32,         33,         4096,       65535,
                                  65536, 0x7fffffff, 0x80000000, 0xffffffff, 1u << 20};
  return edges[std::uniform_int_distribution<std::size_t>(0, std::size(edges) - 1)(rng)];
}

struct Program {
  explicit Program(cl_device_id d) : device(d) {
    cl_int err = CL_SUCCESS;
    context = clCreateContext(nullptr, 1, &device, nullptr, nullptr, &err);
    EXPECT_EQ(err, CL_SUCCESS);
    queue = clCreateCommandQueueWithProperties(context, device, nullptr, &err);
    EXPECT_EQ(err, CL_SUCCESS);
    program = clCreateProgramWithBuiltInKernels(context, 1, &device, kBuiltIns, &err);
    EXPECT_EQ(err, CL_SUCCESS);
  }
  ~Program() {
    clReleaseProgram(program);
    clReleaseCommandQueue(queue);
    clReleaseContext(context);
  }
  cl_device_id device;
  cl_context context = nullptr;
  cl_command_queue queue = nullptr;
  cl_program program = nullptr;
};

struct Launch {
  std::string kernel;
  std::vector<std::size_t> sizes;   // of the distinct buffers
  std::vector<std::size_t> buffer;  // which buffer each buffer argument is
  std::vector<cl_uint> values;
  std::string describe() const {
    std::string s = kernel + "(";
    for (std::size_t b : buffer)
      s += "buf" + std::to_string(b) + ":" + std::to_string(sizes[b]) + " ";
    for (cl_uint v : values) s += std::to_string(v) + " ";
    return s + ")";
  }
};

Launch random_launch(std::mt19937& rng, cl_uint buffers, cl_uint arguments, std::string name) {
  Launch l;
  l.kernel = std::move(name);
  for (cl_uint i = 0; i < buffers; ++i) {
    const bool alias = i > 0 && std::uniform_int_distribution<int>(0, 9)(rng) == 0;
    if (alias) {
      l.buffer.push_back(std::uniform_int_distribution<std::size_t>(0, l.sizes.size() - 1)(rng));
    } else {
      l.buffer.push_back(l.sizes.size());
      l.sizes.push_back(std::uniform_int_distribution<std::size_t>(1, 1 << 14)(rng));
    }
  }
  for (cl_uint i = buffers; i < arguments; ++i) l.values.push_back(random_value(rng));
  return l;
}

// tessera_gemm_s8s32 with distinct buffers that succeeded: C is the reference's.
void expect_gemm_result(cl_command_queue queue, const Launch& l, const std::vector<cl_mem>& mems,
                        const std::vector<std::vector<std::int8_t>>& contents) {
  if (l.kernel != "tessera_gemm_s8s32") return;
  const cl_uint m = l.values[0], n = l.values[1], k = l.values[2];
  if (m == 0 || n == 0) return;
  std::vector<std::int8_t> a(contents[l.buffer[0]].begin(),
                             contents[l.buffer[0]].begin() + std::ptrdiff_t{m} * k);
  std::vector<std::int8_t> w(contents[l.buffer[1]].begin(),
                             contents[l.buffer[1]].begin() + std::ptrdiff_t{n} * k);
  std::vector<std::int32_t> c(std::size_t{m} * n);
  ASSERT_EQ(clEnqueueReadBuffer(queue, mems[l.buffer[2]], CL_TRUE, 0, 4 * c.size(), c.data(), 0,
                                nullptr, nullptr),
            CL_SUCCESS);
  EXPECT_EQ(c, models::int8_reference::gemm(a, w, static_cast<int>(m), static_cast<int>(n),
                                            static_cast<int>(k)))
      << l.describe();
}

TEST(IcdRandomArguments, EveryBuiltInKernelSucceedsOrSaysWhy) {
  std::mt19937 rng(2026);
  for (const char* device : {"kv260 (func)", "kv260 (tlm)"}) {
    Program p(tessera_device(device));
    cl_kernel kernels[6] = {};
    cl_uint kernel_count = 0;
    ASSERT_EQ(clCreateKernelsInProgram(p.program, 6, kernels, &kernel_count), CL_SUCCESS);
    int successes = 0;
    for (int iteration = 0; iteration < 400; ++iteration) {
      cl_kernel kernel = kernels[static_cast<cl_uint>(iteration) % kernel_count];
      char name[64] = {};
      clGetKernelInfo(kernel, CL_KERNEL_FUNCTION_NAME, sizeof name, name, nullptr);
      cl_uint arguments = 0;
      clGetKernelInfo(kernel, CL_KERNEL_NUM_ARGS, sizeof arguments, &arguments, nullptr);
      const cl_uint buffers = buffer_arguments(name);
      ASSERT_GT(buffers, 0u) << name;
      const Launch l = random_launch(rng, buffers, arguments, name);
      std::vector<cl_mem> mems;
      std::vector<std::vector<std::int8_t>> contents;
      for (std::size_t size : l.sizes) {
        contents.push_back(random_bytes(size, rng));
        mems.push_back(new_buffer(p.context, size, contents.back().data()));
      }
      cl_uint index = 0;
      for (std::size_t b : l.buffer) {
        ASSERT_EQ(clSetKernelArg(kernel, index++, sizeof(cl_mem), &mems[b]), CL_SUCCESS);
      }
      for (cl_uint v : l.values) {
        ASSERT_EQ(clSetKernelArg(kernel, index++, sizeof v, &v), CL_SUCCESS);
      }
      const cl_int status = clEnqueueTask(p.queue, kernel, 0, nullptr, nullptr);
      EXPECT_TRUE(status == CL_SUCCESS || status == CL_INVALID_VALUE)
          << "error " << status << " from " << l.describe() << " on " << device;
      EXPECT_EQ(clFinish(p.queue), CL_SUCCESS) << l.describe();
      if (status == CL_SUCCESS) {
        ++successes;
        const bool distinct = l.sizes.size() == l.buffer.size();
        if (distinct) expect_gemm_result(p.queue, l, mems, contents);
      }
      for (cl_mem m : mems) clReleaseMemObject(m);
    }
    // Not all refused: the checks let valid launches through.
    EXPECT_GT(successes, 20) << device;
    for (cl_uint i = 0; i < kernel_count; ++i) clReleaseKernel(kernels[i]);
  }
}

// Sizes whose products overflow 64 bits when multiplied out (4 * M * N with M = N =
// 2^31 is 2^64): refused, never taken for a small buffer's size.
TEST(IcdRandomArguments, OverflowingSizesAreRefused) {
  Program p(tessera_device("kv260 (func)"));
  cl_int err = CL_SUCCESS;
  const cl_uint huge[] = {0x80000000u, 0xffffffffu};
  for (const char* name : {"tessera_gemm_s8s32", "tessera_gemm_packed_s8s32"}) {
    cl_kernel kernel = clCreateKernel(p.program, name, &err);
    ASSERT_EQ(err, CL_SUCCESS);
    for (cl_uint m : huge) {
      for (cl_uint n : huge) {
        for (cl_uint k : {0u, 1u}) {
          cl_mem a = new_buffer(p.context, 64), w = new_buffer(p.context, 64),
                 c = new_buffer(p.context, 64);
          EXPECT_EQ(run_task(p.queue, kernel, {a, w, c}, {m, n, k}), CL_INVALID_VALUE)
              << name << " " << m << "x" << n << "x" << k;
          EXPECT_EQ(clFinish(p.queue), CL_SUCCESS);
          for (cl_mem b : {a, w, c}) clReleaseMemObject(b);
        }
      }
    }
    clReleaseKernel(kernel);
  }
}

// Reads, writes and copies at random offsets and sizes: in range they do what a host
// mirror does, out of range (sizes overflowing past the end included) they return
// CL_INVALID_VALUE and change nothing.
TEST(IcdRandomArguments, BufferRangesAreCheckedAndExact) {
  std::mt19937 rng(7);
  Program p(tessera_device("kv260 (tlm)"));
  const std::size_t sizes[2] = {1000, 4096};
  std::vector<std::int8_t> mirror[2] = {random_bytes(sizes[0], rng), random_bytes(sizes[1], rng)};
  cl_mem mems[2] = {new_buffer(p.context, sizes[0], mirror[0].data()),
                    new_buffer(p.context, sizes[1], mirror[1].data())};
  auto random_extent = [&](std::size_t size) {
    const int pick = std::uniform_int_distribution<int>(0, 9)(rng);
    if (pick == 0) return std::numeric_limits<std::size_t>::max() - 3;
    if (pick == 1) return size + 1;
    return std::uniform_int_distribution<std::size_t>(0, size)(rng);
  };
  for (int iteration = 0; iteration < 600; ++iteration) {
    const int op = iteration % 3;
    const int b = std::uniform_int_distribution<int>(0, 1)(rng);
    const std::size_t offset = random_extent(sizes[b]), size = random_extent(sizes[b]);
    const bool in_range = size > 0 && offset <= sizes[b] && size <= sizes[b] - offset;
    if (op == 0) {
      std::vector<std::int8_t> out(std::min<std::size_t>(size, 8192));
      const cl_int status = clEnqueueReadBuffer(p.queue, mems[b], CL_TRUE, offset, size, out.data(),
                                                0, nullptr, nullptr);
      ASSERT_EQ(status, in_range ? CL_SUCCESS : CL_INVALID_VALUE) << offset << "+" << size;
      if (in_range) {
        EXPECT_TRUE(std::equal(out.begin(), out.end(),
                               mirror[b].begin() + static_cast<std::ptrdiff_t>(offset)));
      }
    } else if (op == 1) {
      const std::vector<std::int8_t> data = random_bytes(std::min<std::size_t>(size, 8192), rng);
      const cl_int status = clEnqueueWriteBuffer(p.queue, mems[b], CL_TRUE, offset, size,
                                                 data.data(), 0, nullptr, nullptr);
      ASSERT_EQ(status, in_range ? CL_SUCCESS : CL_INVALID_VALUE) << offset << "+" << size;
      if (in_range) {
        std::copy(data.begin(), data.end(),
                  mirror[b].begin() + static_cast<std::ptrdiff_t>(offset));
      }
    } else {
      const int d = 1 - b;
      const std::size_t to = random_extent(sizes[d]);
      const bool fits = in_range && to <= sizes[d] && size <= sizes[d] - to;
      const cl_int status =
          clEnqueueCopyBuffer(p.queue, mems[b], mems[d], offset, to, size, 0, nullptr, nullptr);
      ASSERT_EQ(status, fits ? CL_SUCCESS : CL_INVALID_VALUE)
          << offset << "+" << size << " -> " << to;
      if (fits) {
        std::copy_n(mirror[b].begin() + static_cast<std::ptrdiff_t>(offset), size,
                    mirror[d].begin() + static_cast<std::ptrdiff_t>(to));
      }
    }
  }
  for (int b = 0; b < 2; ++b) {
    std::vector<std::int8_t> all(sizes[b]);
    ASSERT_EQ(clEnqueueReadBuffer(p.queue, mems[b], CL_TRUE, 0, sizes[b], all.data(), 0, nullptr,
                                  nullptr),
              CL_SUCCESS);
    EXPECT_EQ(all, mirror[b]) << "buffer " << b;
    clReleaseMemObject(mems[b]);
  }
}

// What tests/fuzz/icd_fuzzer found (inputs in tests/fuzz/corpus/icd_fuzzer/regression-*).

// A copy of no bytes is refused as a read or write of none is; a fill of none does
// nothing (and neither hands memcpy a null pointer).
TEST(IcdFuzzFindings, EmptyCopiesAreRefusedAndEmptyFillsDoNothing) {
  Program p(tessera_device("kv260 (func)"));
  std::vector<std::int8_t> data(64, 7);
  cl_mem a = new_buffer(p.context, 64, data.data()), b = new_buffer(p.context, 64, data.data());
  EXPECT_EQ(clEnqueueCopyBuffer(p.queue, a, b, 0, 0, 0, 0, nullptr, nullptr), CL_INVALID_VALUE);
  EXPECT_EQ(clEnqueueCopyBuffer(p.queue, a, b, 64, 64, 0, 0, nullptr, nullptr), CL_INVALID_VALUE);
  const std::int8_t pattern = 1;
  EXPECT_EQ(clEnqueueFillBuffer(p.queue, a, &pattern, 1, 8, 0, 0, nullptr, nullptr), CL_SUCCESS);
  std::vector<std::int8_t> out(64);
  ASSERT_EQ(clEnqueueReadBuffer(p.queue, a, CL_TRUE, 0, 64, out.data(), 0, nullptr, nullptr),
            CL_SUCCESS);
  EXPECT_EQ(out, data);
  for (cl_mem m : {a, b}) clReleaseMemObject(m);
}

// Origins and pitches whose byte offsets pass 2^64 wrapped around to small offsets
// inside the buffer and were taken: they are refused, and nothing is written.
TEST(IcdFuzzFindings, RectanglesWhoseOffsetsWrapPast2To64AreRefused) {
  Program p(tessera_device("kv260 (func)"));
  std::vector<std::int8_t> data(256, 5);
  cl_mem buffer = new_buffer(p.context, data.size(), data.data());
  std::vector<std::int8_t> host(64, 9);
  const std::size_t zero[3] = {0, 0, 0}, one[3] = {1, 1, 1};
  const std::size_t high_slice[3] = {0, 0, std::size_t{1} << 63};  // x pitch 2 = 2^64
  EXPECT_EQ(clEnqueueWriteBufferRect(p.queue, buffer, CL_TRUE, high_slice, zero, one, 1, 2, 0, 0,
                                     host.data(), 0, nullptr, nullptr),
            CL_INVALID_VALUE);
  const std::size_t high_row[3] = {1, std::numeric_limits<std::size_t>::max(), 0};  // + 1 row
  const std::size_t two_rows[3] = {1, 2, 1};
  EXPECT_EQ(clEnqueueWriteBufferRect(p.queue, buffer, CL_TRUE, high_row, zero, two_rows, 1, 0, 0, 0,
                                     host.data(), 0, nullptr, nullptr),
            CL_INVALID_VALUE);
  const std::size_t tall[3] = {1, std::size_t{1} << 62, 1};  // region[1] x row pitch 8 = 2^65
  EXPECT_EQ(clEnqueueReadBufferRect(p.queue, buffer, CL_TRUE, zero, zero, tall, 8, 0, 0, 0,
                                    host.data(), 0, nullptr, nullptr),
            CL_INVALID_VALUE);
  cl_mem other = new_buffer(p.context, data.size(), data.data());
  EXPECT_EQ(clEnqueueCopyBufferRect(p.queue, other, buffer, zero, high_slice, one, 1, 2, 1, 2, 0,
                                    nullptr, nullptr),
            CL_INVALID_VALUE);
  std::vector<std::int8_t> out(data.size());
  ASSERT_EQ(
      clEnqueueReadBuffer(p.queue, buffer, CL_TRUE, 0, out.size(), out.data(), 0, nullptr, nullptr),
      CL_SUCCESS);
  EXPECT_EQ(out, data);
  for (cl_mem m : {buffer, other}) clReleaseMemObject(m);
}

// Scales the attention units cannot take (NaN, infinite, negative) are the caller's
// data: CL_INVALID_VALUE at the launch, not CL_OUT_OF_RESOURCES from a failed device.
TEST(IcdFuzzFindings, ScalesTheUnitsCannotTakeAreRefused) {
  Program p(tessera_device("kv260 (tlm)"));
  cl_int err = CL_SUCCESS;
  constexpr cl_uint kHeadSize = 16;
  const std::vector<std::int8_t> lanes(kHeadSize, 3);
  const float good = 0.5f;
  auto scale = [&](float value) { return new_buffer(p.context, 4, &value); };
  auto run = [&](const char* name, std::initializer_list<cl_mem> buffers,
                 std::initializer_list<cl_uint> values) {
    cl_kernel kernel = clCreateKernel(p.program, name, &err);
    EXPECT_EQ(err, CL_SUCCESS);
    const cl_int status = run_task(p.queue, kernel, buffers, values);
    EXPECT_EQ(clFinish(p.queue), CL_SUCCESS);
    clReleaseKernel(kernel);
    return status;
  };
  cl_mem q = new_buffer(p.context, kHeadSize, lanes.data()),
         k = new_buffer(p.context, kHeadSize, lanes.data()),
         v = new_buffer(p.context, kHeadSize, lanes.data()), ok = scale(good),
         out = new_buffer(p.context, 4 * kHeadSize), norm = new_buffer(p.context, 24),
         cache = new_buffer(p.context, tessera_kv_cache_bytes(1, kHeadSize, 1));
  for (float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(), -1.0f}) {
    cl_mem b = scale(bad);
    EXPECT_EQ(run("tessera_attention_s8", {q, ok, k, ok, v, b, out, norm}, {1, 0, 1, 1, kHeadSize}),
              CL_INVALID_VALUE)
        << bad;
    EXPECT_EQ(run("tessera_attention_s8", {q, b, k, ok, v, ok, out, norm}, {1, 0, 1, 1, kHeadSize}),
              CL_INVALID_VALUE)
        << bad;
    EXPECT_EQ(run("tessera_kv_append_s8", {k, b, v, ok, cache}, {0, 1, 1, 1, kHeadSize}),
              CL_INVALID_VALUE)
        << bad;
    EXPECT_EQ(run("tessera_kv_append_s8", {k, ok, v, ok, cache}, {0, 1, 1, 1, kHeadSize}),
              CL_SUCCESS);
    EXPECT_EQ(run("tessera_attention_cached_s8", {q, b, cache, out, norm}, {1, 0, 1, 1, kHeadSize}),
              CL_INVALID_VALUE)
        << bad;
    EXPECT_EQ(
        run("tessera_attention_cached_s8", {q, ok, cache, out, norm}, {1, 0, 1, 1, kHeadSize}),
        CL_SUCCESS);
    clReleaseMemObject(b);
  }
  for (cl_mem m : {q, k, v, ok, out, norm, cache}) clReleaseMemObject(m);
}

}  // namespace
}  // namespace tessera::testing
