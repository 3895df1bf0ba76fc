// The ICD from several host threads at once, as the OpenCL specification allows: one
// context over the timed and functional devices, a queue and a kernel per thread, a
// weight buffer shared by every thread, and commands chained by events. Every result
// is checked against plain nested loops.
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "opencl_support.hpp"

namespace tessera::testing {
namespace {

constexpr cl_uint kDepth = 64;  // K of every GEMM
constexpr cl_uint kWidth = 16;  // N: the shared weights' rows

std::int32_t dot(const std::int8_t* a, const std::int8_t* w) {
  std::int32_t sum = 0;
  for (cl_uint p = 0; p < kDepth; ++p) sum += std::int32_t{a[p]} * std::int32_t{w[p]};
  return sum;
}

struct SharedState {
  cl_context context = nullptr;
  cl_program program = nullptr;
  cl_mem weights = nullptr;
  std::vector<std::int8_t> weight_values;
  std::atomic<int> wrong{0}, failed_calls{0};
};

// One thread: its own queue and kernel, GEMMs of random M against the shared weights.
void worker(SharedState& shared, cl_device_id device, unsigned seed, int gemms) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> byte(-128, 127), rows(1, 12);
  const auto check = [&](cl_int err) {
    if (err != CL_SUCCESS) ++shared.failed_calls;
  };
  cl_int err = CL_SUCCESS;
  cl_command_queue queue =
      clCreateCommandQueueWithProperties(shared.context, device, nullptr, &err);
  check(err);
  cl_kernel kernel = clCreateKernel(shared.program, "tessera_gemm_s8s32", &err);
  check(err);
  for (int g = 0; g < gemms; ++g) {
    const auto m = static_cast<cl_uint>(rows(rng));
    std::vector<std::int8_t> a(static_cast<std::size_t>(m) * kDepth);
    for (auto& x : a) x = static_cast<std::int8_t>(byte(rng));
    cl_mem a_buffer = clCreateBuffer(shared.context, CL_MEM_READ_ONLY, a.size(), nullptr, &err);
    check(err);
    cl_mem c_buffer =
        clCreateBuffer(shared.context, CL_MEM_WRITE_ONLY, 4ull * m * kWidth, nullptr, &err);
    check(err);
    cl_event written = nullptr, computed = nullptr;
    check(clEnqueueWriteBuffer(queue, a_buffer, CL_FALSE, 0, a.size(), a.data(), 0, nullptr,
                               &written));
    const cl_uint n = kWidth, k = kDepth;
    check(clSetKernelArg(kernel, 0, sizeof(cl_mem), &a_buffer));
    check(clSetKernelArg(kernel, 1, sizeof(cl_mem), &shared.weights));
    check(clSetKernelArg(kernel, 2, sizeof(cl_mem), &c_buffer));
    check(clSetKernelArg(kernel, 3, sizeof(cl_uint), &m));
    check(clSetKernelArg(kernel, 4, sizeof(cl_uint), &n));
    check(clSetKernelArg(kernel, 5, sizeof(cl_uint), &k));
    const size_t one = 1;
    check(clEnqueueNDRangeKernel(queue, kernel, 1, nullptr, &one, nullptr, 1, &written, &computed));
    std::vector<std::int32_t> c(static_cast<std::size_t>(m) * kWidth, -1);
    check(clEnqueueReadBuffer(queue, c_buffer, CL_TRUE, 0, 4ull * m * kWidth, c.data(), 1,
                              &computed, nullptr));
    for (cl_uint i = 0; i < m; ++i) {
      for (cl_uint j = 0; j < kWidth; ++j) {
        const std::int32_t want = dot(&a[i * kDepth], &shared.weight_values[j * kDepth]);
        if (c[i * kWidth + j] != want) ++shared.wrong;
      }
    }
    clReleaseEvent(written);
    clReleaseEvent(computed);
    clReleaseMemObject(a_buffer);
    clReleaseMemObject(c_buffer);
  }
  clReleaseKernel(kernel);
  clReleaseCommandQueue(queue);
}

TEST(OpenClThreads, EightThreadsOfRandomGemmsAcrossDevicesAreAllExact) {
  std::vector<cl_device_id> devices;
  for (const char* name : {"kv260 (tlm)", "u280 (tlm)", "kv260 (func)", "u280 (func)"}) {
    devices.push_back(tessera_device(name));
    ASSERT_NE(devices.back(), nullptr) << name;
  }
  SharedState shared;
  cl_int err = CL_SUCCESS;
  shared.context = clCreateContext(nullptr, static_cast<cl_uint>(devices.size()), devices.data(),
                                   nullptr, nullptr, &err);
  ASSERT_EQ(err, CL_SUCCESS);
  shared.program =
      clCreateProgramWithBuiltInKernels(shared.context, static_cast<cl_uint>(devices.size()),
                                        devices.data(), "tessera_gemm_s8s32", &err);
  ASSERT_EQ(err, CL_SUCCESS);
  ASSERT_EQ(clBuildProgram(shared.program, 0, nullptr, nullptr, nullptr, nullptr), CL_SUCCESS);
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> byte(-128, 127);
  shared.weight_values.resize(static_cast<std::size_t>(kWidth) * kDepth);
  for (auto& x : shared.weight_values) x = static_cast<std::int8_t>(byte(rng));
  shared.weights = clCreateBuffer(shared.context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR,
                                  shared.weight_values.size(), shared.weight_values.data(), &err);
  ASSERT_EQ(err, CL_SUCCESS);

  constexpr int kThreads = 8, kGemmsPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back(worker, std::ref(shared),
                         devices[static_cast<std::size_t>(t) % devices.size()],
                         100u + static_cast<unsigned>(t), kGemmsPerThread);
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(shared.failed_calls.load(), 0);
  EXPECT_EQ(shared.wrong.load(), 0) << "of " << kThreads * kGemmsPerThread << " GEMMs' outputs";
  clReleaseMemObject(shared.weights);
  clReleaseProgram(shared.program);
  clReleaseContext(shared.context);
}

}  // namespace
}  // namespace tessera::testing
