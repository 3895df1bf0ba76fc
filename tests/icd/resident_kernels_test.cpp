// An independent OpenCL program: weights packed once into device memory and a K/V
// cache that stays there, through the documented built-in kernels
// (docs/opencl.md: tessera_pack_weights_s8, tessera_gemm_packed_s8s32,
// tessera_kv_append_s8, tessera_attention_cached_s8) and the cl_tessera_counters
// query, against the nested-loop int8 reference (models/int8_reference).
#include <gtest/gtest.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <random>

#include "opencl_support.hpp"
#include "support/attention_case.hpp"
#include "tessera/icd/cl_ext_tessera.h"
#include "tessera/models/int8_reference.hpp"

namespace tessera::testing {
namespace {

namespace ref = models::int8_reference;

std::size_t sz(cl_uint n) { return static_cast<std::size_t>(n); }

// docs/opencl.md's sizes, written out here rather than taken from the header.
std::size_t packed_bytes(std::size_t n, std::size_t k) { return (n + 31) / 32 * 32 * k; }
std::size_t cache_bytes(std::size_t kv_heads, std::size_t head_size, std::size_t capacity) {
  return kv_heads * capacity * ((2 * head_size + 8 + 63) / 64 * 64);
}

struct Counters {
  std::uint64_t to_device = 0, from_device = 0, commands = 0;
  double seconds = 0;
};

class Client {
 public:
  explicit Client(const std::string& name) : device(tessera_device(name)) {
    cl_int err = CL_SUCCESS;
    context = clCreateContext(nullptr, 1, &device, &Client::notify, this, &err);
    EXPECT_EQ(err, CL_SUCCESS);
    const cl_queue_properties properties[] = {CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE, 0};
    queue = clCreateCommandQueueWithProperties(context, device, properties, &err);
    EXPECT_EQ(err, CL_SUCCESS);
    program = clCreateProgramWithBuiltInKernels(
        context, 1, &device,
        "tessera_pack_weights_s8;tessera_gemm_packed_s8s32;tessera_kv_append_s8;"
        "tessera_attention_cached_s8",
        &err);
    EXPECT_EQ(err, CL_SUCCESS);
    pack = kernel("tessera_pack_weights_s8");
    gemm = kernel("tessera_gemm_packed_s8s32");
    append = kernel("tessera_kv_append_s8");
    attention = kernel("tessera_attention_cached_s8");
  }
  ~Client() {
    for (cl_mem b : buffers) clReleaseMemObject(b);
    for (cl_kernel k : {pack, gemm, append, attention}) clReleaseKernel(k);
    clReleaseProgram(program);
    clReleaseCommandQueue(queue);
    clReleaseContext(context);
  }

  cl_mem buffer(std::size_t bytes, const void* data = nullptr) {
    return buffers.emplace_back(new_buffer(context, bytes, data));
  }
  // Sets the arguments and runs the kernel as a task; returns the status.
  cl_int run(cl_kernel k, std::initializer_list<cl_mem> mems, std::initializer_list<cl_uint> values,
             cl_event* event = nullptr) {
    return run_task(queue, k, mems, values, event);
  }
  Counters counters() {
    const auto json =
        nlohmann::json::parse(device_info_text(device, CL_DEVICE_COUNTERS_JSON_TESSERA));
    return {json["host_link"]["bytes_to_device"], json["host_link"]["bytes_from_device"],
            json["commands"], json["simulated_seconds"]};
  }
  static std::pair<cl_ulong, cl_ulong> times(cl_event event) {
    cl_ulong start = 0, end = 0;
    clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_START, sizeof start, &start, nullptr);
    clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, sizeof end, &end, nullptr);
    clReleaseEvent(event);
    return {start, end};
  }

  cl_device_id device;
  cl_context context = nullptr;
  cl_command_queue queue = nullptr;
  cl_program program = nullptr;
  cl_kernel pack = nullptr, gemm = nullptr, append = nullptr, attention = nullptr;
  std::vector<cl_mem> buffers;
  std::string last_error;  // what pfn_notify said last

 private:
  cl_kernel kernel(const char* name) {
    cl_int err = CL_SUCCESS;
    cl_kernel k = clCreateKernel(program, name, &err);
    EXPECT_EQ(err, CL_SUCCESS) << name;
    return k;
  }
  static void CL_CALLBACK notify(const char* what, const void*, size_t, void* self) {
    static_cast<Client*>(self)->last_error = what;
  }
};

// Weights packed once, then 100 GEMVs: exact, each timed on the device, each moving
// its activations, results and command descriptors over the host link and never the
// weights.
TEST(ResidentWeights, HundredGemvsOnPackedWeightsAreExactAndMoveNoWeights) {
  std::mt19937 rng(5);
  for (const char* name : {"kv260 (tlm)", "u280 (tlm)", "kv260 (func)", "kv260 (rtl)"}) {
    Client c(name);
    const cl_uint n = 100, k = 300;
    const auto w = random_bytes(sz(n) * k, rng);
    cl_mem rows = c.buffer(w.size(), w.data());
    cl_mem packed = c.buffer(packed_bytes(n, k));
    ASSERT_EQ(c.run(c.pack, {rows, packed}, {n, k}), CL_SUCCESS) << c.last_error;
    clReleaseMemObject(rows);  // the packed copy is all the device needs
    c.buffers.erase(c.buffers.begin());
    cl_mem a = c.buffer(k), out = c.buffer(4 * sz(n));
    const bool timed = std::string(name).find("func") == std::string::npos;
    const int calls = std::string(name).find("rtl") != std::string::npos ? 10 : 100;
    for (int call = 0; call < calls; ++call) {
      const auto x = random_bytes(k, rng);
      const Counters before = c.counters();
      cl_event write = nullptr, kernel = nullptr, read = nullptr;
      ASSERT_EQ(clEnqueueWriteBuffer(c.queue, a, CL_FALSE, 0, k, x.data(), 0, nullptr, &write),
                CL_SUCCESS);
      ASSERT_EQ(c.run(c.gemm, {a, packed, out}, {1, n, k}, &kernel), CL_SUCCESS) << c.last_error;
      std::vector<std::int32_t> result(n);
      ASSERT_EQ(clEnqueueReadBuffer(c.queue, out, CL_TRUE, 0, 4 * sz(n), result.data(), 0, nullptr,
                                    &read),
                CL_SUCCESS);
      ASSERT_EQ(result, ref::gemm(x, w, 1, static_cast<int>(n), static_cast<int>(k)))
          << name << ", call " << call;
      // Simulated time on tlm and rtl, where the activations and results cross the
      // host link inside the kernel's time (the transfers stage them in host
      // memory); host wall-clock time on func, where every command takes some.
      for (cl_event e : {write, kernel, read}) {
        const auto [start, end] = Client::times(e);
        if (e == kernel || !timed) {
          EXPECT_GT(end, start) << name << ", call " << call;
        } else {
          EXPECT_GE(end, start) << name << ", call " << call;
        }
      }
      const Counters after = c.counters();
      const std::uint64_t commands = after.commands - before.commands;
      EXPECT_GE(commands, 1u);
      EXPECT_LE(after.to_device - before.to_device, k + 64 * commands) << name;
      EXPECT_EQ(after.from_device - before.from_device, 4u * n) << name;
      if (timed) {
        EXPECT_GT(after.seconds, before.seconds) << name;
      }
    }
  }
}

TEST(ResidentWeights, SeveralRowsAndShortRowsAreExact) {
  std::mt19937 rng(6);
  Client c("kv260 (tlm)");
  for (const auto& [m, n, k] :
       {std::tuple<cl_uint, cl_uint, cl_uint>{5, 40, 70}, {1, 33, 3}, {17, 1, 200}}) {
    const auto w = random_bytes(sz(n) * k, rng), x = random_bytes(sz(m) * k, rng);
    cl_mem packed = c.buffer(packed_bytes(n, k));
    ASSERT_EQ(c.run(c.pack, {c.buffer(w.size(), w.data()), packed}, {n, k}), CL_SUCCESS);
    cl_mem out = c.buffer(4 * sz(m) * n);
    ASSERT_EQ(c.run(c.gemm, {c.buffer(x.size(), x.data()), packed, out}, {m, n, k}), CL_SUCCESS)
        << c.last_error;
    std::vector<std::int32_t> result(sz(m) * n);
    ASSERT_EQ(clEnqueueReadBuffer(c.queue, out, CL_TRUE, 0, 4 * result.size(), result.data(), 0,
                                  nullptr, nullptr),
              CL_SUCCESS);
    EXPECT_EQ(result,
              ref::gemm(x, w, static_cast<int>(m), static_cast<int>(n), static_cast<int>(k)))
        << m << "x" << n << "x" << k;
  }
}

// Decode steps on a resident K/V cache of grouped-query attention: each step appends
// one position and attends over all so far; the host link carries the same bytes at
// every step (the cache is never uploaded again).
TEST(ResidentKvCache, DecodeStepsMatchTheInt8Reference) {
  std::mt19937 rng(7);
  const int heads = 8, kv_heads = 4, head_size = 16, steps = 24;
  Client c("kv260 (tlm)");
  const ref::AttentionInput all =
      random_attention_input({heads, kv_heads, head_size, steps - 1, 1}, rng);
  cl_mem cache = c.buffer(cache_bytes(kv_heads, head_size, steps));
  const std::size_t row = sz(kv_heads) * head_size;
  cl_mem k = c.buffer(row), v = c.buffer(row), k_scale = c.buffer(4 * sz(kv_heads)),
         v_scale = c.buffer(4 * sz(kv_heads));
  cl_mem q = c.buffer(sz(heads) * head_size), q_scale = c.buffer(4 * sz(heads));
  cl_mem out = c.buffer(4 * sz(heads) * head_size), norm = c.buffer(24 * sz(heads));
  std::vector<std::uint64_t> step_bytes;
  for (int t = 0; t < steps; ++t) {
    const Counters before = c.counters();
    const std::size_t at = sz(static_cast<cl_uint>(t));
    auto write = [&](cl_mem b, const void* data, std::size_t bytes) {
      ASSERT_EQ(clEnqueueWriteBuffer(c.queue, b, CL_FALSE, 0, bytes, data, 0, nullptr, nullptr),
                CL_SUCCESS);
    };
    write(k, all.k.data() + at * row, row);
    write(v, all.v.data() + at * row, row);
    write(k_scale, all.k_scale.data() + at * kv_heads, 4 * sz(kv_heads));
    write(v_scale, all.v_scale.data() + at * kv_heads, 4 * sz(kv_heads));
    ASSERT_EQ(c.run(c.append, {k, k_scale, v, v_scale, cache},
                    {static_cast<cl_uint>(t), 1, steps, kv_heads, head_size}),
              CL_SUCCESS)
        << c.last_error;
    ref::AttentionInput in = random_attention_input({heads, kv_heads, head_size, t, 1}, rng);
    in.k.assign(all.k.begin(), all.k.begin() + static_cast<long>((at + 1) * row));
    in.v.assign(all.v.begin(), all.v.begin() + static_cast<long>((at + 1) * row));
    in.k_scale.assign(all.k_scale.begin(), all.k_scale.begin() + (t + 1) * kv_heads);
    in.v_scale.assign(all.v_scale.begin(), all.v_scale.begin() + (t + 1) * kv_heads);
    write(q, in.q.data(), in.q.size());
    write(q_scale, in.q_scale.data(), 4 * in.q_scale.size());
    ASSERT_EQ(c.run(c.attention, {q, q_scale, cache, out, norm},
                    {1, static_cast<cl_uint>(t), heads, kv_heads, head_size}),
              CL_SUCCESS)
        << c.last_error;
    std::vector<std::int32_t> acc(sz(heads) * head_size);
    std::vector<std::int64_t> norms(3 * sz(heads));
    ASSERT_EQ(clEnqueueReadBuffer(c.queue, out, CL_TRUE, 0, 4 * acc.size(), acc.data(), 0, nullptr,
                                  nullptr),
              CL_SUCCESS);
    ASSERT_EQ(clEnqueueReadBuffer(c.queue, norm, CL_TRUE, 0, 8 * norms.size(), norms.data(), 0,
                                  nullptr, nullptr),
              CL_SUCCESS);
    const ref::AttentionOutput expected = ref::attention(in);
    ASSERT_EQ(acc, expected.acc) << "position " << t;
    for (int h = 0; h < heads; ++h) {
      const auto& e = expected.norms[sz(static_cast<cl_uint>(h))];
      EXPECT_EQ(norms[3 * sz(static_cast<cl_uint>(h))], e.max_weight) << t;
      EXPECT_EQ(static_cast<std::uint64_t>(norms[3 * sz(static_cast<cl_uint>(h)) + 1]), e.exp_sum);
      EXPECT_EQ(norms[3 * sz(static_cast<cl_uint>(h)) + 2], e.exponent) << t;
    }
    step_bytes.push_back(c.counters().to_device - before.to_device);
  }
  for (std::uint64_t bytes : step_bytes) EXPECT_EQ(bytes, step_bytes.front());
}

// The attention built-in without a resident cache (the whole K/V cache as plain
// buffers on every call), a prefill block of three queries over grouped heads.
TEST(StagedAttention, PrefillBlockMatchesTheInt8Reference) {
  std::mt19937 rng(8);
  for (const char* name : {"kv260 (tlm)", "u280 (func)"}) {
    const cl_device_id device = tessera_device(name);
    cl_int err = CL_SUCCESS;
    cl_context context = clCreateContext(nullptr, 1, &device, nullptr, nullptr, &err);
    ASSERT_EQ(err, CL_SUCCESS);
    cl_command_queue queue = clCreateCommandQueueWithProperties(context, device, nullptr, &err);
    cl_program program =
        clCreateProgramWithBuiltInKernels(context, 1, &device, "tessera_attention_s8", &err);
    cl_kernel kernel = clCreateKernel(program, "tessera_attention_s8", &err);
    ASSERT_EQ(err, CL_SUCCESS);
    const ref::AttentionInput in = random_attention_input({8, 2, 32, 13, 3}, rng);
    std::vector<cl_mem> buffers;
    auto buffer = [&](const void* data, std::size_t bytes) {
      return buffers.emplace_back(new_buffer(context, bytes, data));
    };
    const std::size_t rows = 3 * 8;
    buffer(in.q.data(), in.q.size());
    buffer(in.q_scale.data(), 4 * in.q_scale.size());
    buffer(in.k.data(), in.k.size());
    buffer(in.k_scale.data(), 4 * in.k_scale.size());
    buffer(in.v.data(), in.v.size());
    buffer(in.v_scale.data(), 4 * in.v_scale.size());
    cl_mem out = buffer(nullptr, 4 * rows * 32), norm = buffer(nullptr, 24 * rows);
    for (cl_uint i = 0; i < 8; ++i) {
      ASSERT_EQ(clSetKernelArg(kernel, i, sizeof(cl_mem), &buffers[i]), CL_SUCCESS);
    }
    const cl_uint values[5] = {3, 13, 8, 2, 32};
    for (cl_uint i = 0; i < 5; ++i) {
      ASSERT_EQ(clSetKernelArg(kernel, 8 + i, sizeof(cl_uint), &values[i]), CL_SUCCESS);
    }
    ASSERT_EQ(clEnqueueTask(queue, kernel, 0, nullptr, nullptr), CL_SUCCESS);
    std::vector<std::int32_t> acc(rows * 32);
    std::vector<std::int64_t> norms(3 * rows);
    ASSERT_EQ(clEnqueueReadBuffer(queue, out, CL_TRUE, 0, 4 * acc.size(), acc.data(), 0, nullptr,
                                  nullptr),
              CL_SUCCESS);
    ASSERT_EQ(clEnqueueReadBuffer(queue, norm, CL_TRUE, 0, 8 * norms.size(), norms.data(), 0,
                                  nullptr, nullptr),
              CL_SUCCESS);
    const ref::AttentionOutput expected = ref::attention(in);
    EXPECT_EQ(acc, expected.acc) << name;
    for (std::size_t h = 0; h < rows; ++h) {
      EXPECT_EQ(norms[3 * h], expected.norms[h].max_weight) << name;
      EXPECT_EQ(norms[3 * h + 2], expected.norms[h].exponent) << name;
    }
    for (cl_mem b : buffers) clReleaseMemObject(b);
    clReleaseKernel(kernel);
    clReleaseProgram(program);
    clReleaseCommandQueue(queue);
    clReleaseContext(context);
  }
}

class ResidentMisuse : public ::testing::Test {
 protected:
  Client c{"kv260 (tlm)"};
  // CL_INVALID_VALUE, and pfn_notify names the problem.
  void expect_refused(cl_int status, const std::string& why) {
    EXPECT_EQ(status, CL_INVALID_VALUE);
    EXPECT_NE(c.last_error.find(why), std::string::npos) << c.last_error;
  }
};

TEST_F(ResidentMisuse, PackedBuffersOfTheWrongSizeOrShape) {
  cl_mem rows = c.buffer(64 * 64);
  expect_refused(c.run(c.pack, {rows, c.buffer(packed_bytes(64, 64) - 1)}, {64, 64}),
                 "W_packed holds 4095 bytes; the call needs 4096");
  expect_refused(c.run(c.pack, {rows, c.buffer(packed_bytes(64, 65))}, {64, 65}),
                 "W holds 4096 bytes; the call needs 4160");
  cl_mem packed = c.buffer(packed_bytes(64, 64));
  ASSERT_EQ(c.run(c.pack, {rows, packed}, {64, 64}), CL_SUCCESS);
  cl_mem a = c.buffer(64), out = c.buffer(4 * 64);
  expect_refused(c.run(c.gemm, {a, packed, out}, {1, 32, 64}), "holds no 32x64 weights packed");
  expect_refused(c.run(c.gemm, {a, rows, out}, {1, 64, 64}), "holds no 64x64 weights packed");
  expect_refused(c.run(c.gemm, {a, packed, c.buffer(4 * 63)}, {1, 64, 64}),
                 "C holds 252 bytes; the call needs 256");
  // Writing over packed weights makes them plain bytes again.
  const std::vector<std::int8_t> zeros(16, 0);
  ASSERT_EQ(
      clEnqueueWriteBuffer(c.queue, packed, CL_TRUE, 0, 16, zeros.data(), 0, nullptr, nullptr),
      CL_SUCCESS);
  expect_refused(c.run(c.gemm, {a, packed, out}, {1, 64, 64}), "holds no 64x64 weights packed");
}

TEST_F(ResidentMisuse, KvPositionsBeyondTheCacheAndUnsupportedHeads) {
  cl_mem k = c.buffer(64), scale = c.buffer(16);
  cl_mem cache = c.buffer(cache_bytes(2, 16, 8));
  expect_refused(c.run(c.append, {k, scale, k, scale, cache}, {8, 1, 8, 2, 16}),
                 "positions [8, 9) lie beyond the cache's 8 positions");
  expect_refused(
      c.run(c.append, {k, scale, k, scale, c.buffer(cache_bytes(2, 16, 8) - 1)}, {0, 1, 8, 2, 16}),
      "kv_cache holds");
  expect_refused(c.run(c.append, {k, scale, k, scale, cache}, {0, 1, 8, 2, 200}),
                 "head size 200: the device supports 1..128");
  ASSERT_EQ(c.run(c.append, {k, scale, k, scale, cache}, {0, 2, 8, 2, 16}), CL_SUCCESS)
      << c.last_error;
  cl_mem q = c.buffer(64), q_scale = c.buffer(16), out = c.buffer(256), norm = c.buffer(96);
  expect_refused(c.run(c.attention, {q, q_scale, cache, out, norm}, {1, 2, 4, 2, 16}),
                 "position 2 lies beyond the 2 positions appended");
  expect_refused(c.run(c.attention, {q, q_scale, cache, out, norm}, {1, 1, 4, 2, 8}),
                 "holds no K/V cache of 2 kv heads of size 8");
  expect_refused(c.run(c.attention, {q, q_scale, cache, out, norm}, {1, 1, 3, 2, 16}),
                 "3 query heads do not form groups of 2 kv heads");
  EXPECT_EQ(c.run(c.attention, {q, q_scale, cache, out, norm}, {1, 1, 4, 2, 16}), CL_SUCCESS)
      << c.last_error;
}

}  // namespace
}  // namespace tessera::testing
