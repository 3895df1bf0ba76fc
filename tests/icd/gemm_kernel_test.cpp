// An independent OpenCL program: the standard API and the specified built-in kernel
// tessera_gemm_s8s32 on random shapes, against plain nested loops.
#include <gtest/gtest.h>

#include <random>

#include "opencl_support.hpp"

namespace tessera::testing {
namespace {

std::vector<std::int32_t> nested_loops(const std::vector<std::int8_t>& a,
                                       const std::vector<std::int8_t>& w, cl_uint m, cl_uint n,
                                       cl_uint k) {
  std::vector<std::int32_t> c(static_cast<std::size_t>(m) * n, 0);
  for (cl_uint i = 0; i < m; ++i) {
    for (cl_uint j = 0; j < n; ++j) {
      std::int32_t sum = 0;
      for (cl_uint p = 0; p < k; ++p) {
        sum += static_cast<std::int32_t>(a[static_cast<std::size_t>(i) * k + p]) *
               static_cast<std::int32_t>(w[static_cast<std::size_t>(j) * k + p]);
      }
      c[static_cast<std::size_t>(i) * n + j] = sum;
    }
  }
  return c;
}

struct Session {
  explicit Session(cl_device_id d) : device(d) {
    cl_int err = CL_SUCCESS;
    context = clCreateContext(nullptr, 1, &device, nullptr, nullptr, &err);
    EXPECT_EQ(err, CL_SUCCESS);
    const cl_queue_properties properties[] = {CL_QUEUE_PROPERTIES, CL_QUEUE_PROFILING_ENABLE, 0};
    queue = clCreateCommandQueueWithProperties(context, device, properties, &err);
    EXPECT_EQ(err, CL_SUCCESS);
    program = clCreateProgramWithBuiltInKernels(context, 1, &device, "tessera_gemm_s8s32", &err);
    EXPECT_EQ(err, CL_SUCCESS);
    EXPECT_EQ(clBuildProgram(program, 1, &device, nullptr, nullptr, nullptr), CL_SUCCESS);
    kernel = clCreateKernel(program, "tessera_gemm_s8s32", &err);
    EXPECT_EQ(err, CL_SUCCESS);
  }
  ~Session() {
    clReleaseKernel(kernel);
    clReleaseProgram(program);
    clReleaseCommandQueue(queue);
    clReleaseContext(context);
  }
  cl_device_id device;
  cl_context context = nullptr;
  cl_command_queue queue = nullptr;
  cl_program program = nullptr;
  cl_kernel kernel = nullptr;
};

// Runs one GEMM through the kernel; returns C and checks the event's timestamps.
std::vector<std::int32_t> run(Session& s, const std::vector<std::int8_t>& a,
                              const std::vector<std::int8_t>& w, cl_uint m, cl_uint n, cl_uint k,
                              bool task) {
  cl_int err = CL_SUCCESS;
  cl_mem a_buffer = clCreateBuffer(s.context, CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR, a.size(),
                                   const_cast<std::int8_t*>(a.data()), &err);
  EXPECT_EQ(err, CL_SUCCESS);
  cl_mem w_buffer = clCreateBuffer(s.context, CL_MEM_READ_ONLY, w.size(), nullptr, &err);
  EXPECT_EQ(err, CL_SUCCESS);
  EXPECT_EQ(
      clEnqueueWriteBuffer(s.queue, w_buffer, CL_TRUE, 0, w.size(), w.data(), 0, nullptr, nullptr),
      CL_SUCCESS);
  cl_mem c_buffer = clCreateBuffer(s.context, CL_MEM_WRITE_ONLY, 4ull * m * n, nullptr, &err);
  EXPECT_EQ(err, CL_SUCCESS);
  EXPECT_EQ(clSetKernelArg(s.kernel, 0, sizeof(cl_mem), &a_buffer), CL_SUCCESS);
  EXPECT_EQ(clSetKernelArg(s.kernel, 1, sizeof(cl_mem), &w_buffer), CL_SUCCESS);
  EXPECT_EQ(clSetKernelArg(s.kernel, 2, sizeof(cl_mem), &c_buffer), CL_SUCCESS);
  EXPECT_EQ(clSetKernelArg(s.kernel, 3, sizeof(cl_uint), &m), CL_SUCCESS);
  EXPECT_EQ(clSetKernelArg(s.kernel, 4, sizeof(cl_uint), &n), CL_SUCCESS);
  EXPECT_EQ(clSetKernelArg(s.kernel, 5, sizeof(cl_uint), &k), CL_SUCCESS);
  cl_event event = nullptr;
  const size_t one = 1;
  EXPECT_EQ(task ? clEnqueueTask(s.queue, s.kernel, 0, nullptr, &event)
                 : clEnqueueNDRangeKernel(s.queue, s.kernel, 1, nullptr, &one, nullptr, 0, nullptr,
                                          &event),
            CL_SUCCESS);
  EXPECT_EQ(clWaitForEvents(1, &event), CL_SUCCESS);
  cl_ulong start = 0, end = 0;
  EXPECT_EQ(
      clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_START, sizeof start, &start, nullptr),
      CL_SUCCESS);
  EXPECT_EQ(clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_END, sizeof end, &end, nullptr),
            CL_SUCCESS);
  // Simulated time on tlm and rtl; host wall-clock time on func, which has none.
  EXPECT_GT(end, start) << "time passes while the kernel runs";
  std::vector<std::int32_t> c(static_cast<std::size_t>(m) * n, -1);
  EXPECT_EQ(clEnqueueReadBuffer(s.queue, c_buffer, CL_TRUE, 0, 4ull * m * n, c.data(), 0, nullptr,
                                nullptr),
            CL_SUCCESS);
  clReleaseEvent(event);
  clReleaseMemObject(a_buffer);
  clReleaseMemObject(w_buffer);
  clReleaseMemObject(c_buffer);
  return c;
}

TEST(OpenClGemm, RandomShapesAreExactOnEveryTimedDevice) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> byte(-128, 127), dim(1, 70), depth(1, 300);
  for (const char* name : {"kv260 (tlm)", "u280 (tlm)", "kv260 (rtl)", "kv260 (func)"}) {
    cl_device_id device = tessera_device(name);
    ASSERT_NE(device, nullptr);
    Session session(device);
    const int cases = std::string(name).find("rtl") != std::string::npos ? 4 : 10;
    for (int i = 0; i < cases; ++i) {
      const auto m = static_cast<cl_uint>(i == 0 ? 1 : dim(rng)),
                 n = static_cast<cl_uint>(dim(rng)), k = static_cast<cl_uint>(depth(rng));
      std::vector<std::int8_t> a(static_cast<std::size_t>(m) * k),
          w(static_cast<std::size_t>(n) * k);
      for (auto& x : a) x = static_cast<std::int8_t>(byte(rng));
      for (auto& x : w) x = static_cast<std::int8_t>(byte(rng));
      EXPECT_EQ(run(session, a, w, m, n, k, i % 2 == 0), nested_loops(a, w, m, n, k))
          << name << ": " << m << "x" << n << "x" << k;
    }
  }
}

}  // namespace
}  // namespace tessera::testing
