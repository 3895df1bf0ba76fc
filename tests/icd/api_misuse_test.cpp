// OpenCL API misuse against the tessera platform: each call returns the spec's error
// code (never a crash), including on released handles.
#include <gtest/gtest.h>

#include "opencl_support.hpp"

namespace tessera::testing {
namespace {

class OpenClMisuse : public ::testing::Test {
 protected:
  void SetUp() override {
    device = tessera_device("kv260 (tlm)");
    ASSERT_NE(device, nullptr);
    cl_int err = CL_SUCCESS;
    context = clCreateContext(nullptr, 1, &device, nullptr, nullptr, &err);
    ASSERT_EQ(err, CL_SUCCESS);
    queue = clCreateCommandQueueWithProperties(context, device, nullptr, &err);
    ASSERT_EQ(err, CL_SUCCESS);
    program = clCreateProgramWithBuiltInKernels(context, 1, &device, "tessera_gemm_s8s32", &err);
    ASSERT_EQ(err, CL_SUCCESS);
    kernel = clCreateKernel(program, "tessera_gemm_s8s32", &err);
    ASSERT_EQ(err, CL_SUCCESS);
    buffer = clCreateBuffer(context, CL_MEM_READ_WRITE, 64, nullptr, &err);
    ASSERT_EQ(err, CL_SUCCESS);
  }
  void TearDown() override {
    clReleaseMemObject(buffer);
    clReleaseKernel(kernel);
    clReleaseProgram(program);
    clReleaseCommandQueue(queue);
    clReleaseContext(context);
  }
  // A second context on the same device, with a queue.
  std::pair<cl_context, cl_command_queue> other_context() {
    cl_int err = CL_SUCCESS;
    cl_context c = clCreateContext(nullptr, 1, &device, nullptr, nullptr, &err);
    EXPECT_EQ(err, CL_SUCCESS);
    cl_command_queue q = clCreateCommandQueueWithProperties(c, device, nullptr, &err);
    EXPECT_EQ(err, CL_SUCCESS);
    return {c, q};
  }
  void set_all_args(cl_mem a, cl_mem w, cl_mem c, cl_uint m, cl_uint n, cl_uint k) {
    ASSERT_EQ(clSetKernelArg(kernel, 0, sizeof(cl_mem), &a), CL_SUCCESS);
    ASSERT_EQ(clSetKernelArg(kernel, 1, sizeof(cl_mem), &w), CL_SUCCESS);
    ASSERT_EQ(clSetKernelArg(kernel, 2, sizeof(cl_mem), &c), CL_SUCCESS);
    ASSERT_EQ(clSetKernelArg(kernel, 3, sizeof(cl_uint), &m), CL_SUCCESS);
    ASSERT_EQ(clSetKernelArg(kernel, 4, sizeof(cl_uint), &n), CL_SUCCESS);
    ASSERT_EQ(clSetKernelArg(kernel, 5, sizeof(cl_uint), &k), CL_SUCCESS);
  }

  cl_device_id device = nullptr;
  cl_context context = nullptr;
  cl_command_queue queue = nullptr;
  cl_program program = nullptr;
  cl_kernel kernel = nullptr;
  cl_mem buffer = nullptr;
};

TEST_F(OpenClMisuse, NullHandles) {
  EXPECT_EQ(clRetainContext(nullptr), CL_INVALID_CONTEXT);
  EXPECT_EQ(clReleaseCommandQueue(nullptr), CL_INVALID_COMMAND_QUEUE);
  EXPECT_EQ(clReleaseMemObject(nullptr), CL_INVALID_MEM_OBJECT);
  EXPECT_EQ(clSetKernelArg(nullptr, 0, sizeof(cl_mem), &buffer), CL_INVALID_KERNEL);
  EXPECT_EQ(clEnqueueTask(nullptr, kernel, 0, nullptr, nullptr), CL_INVALID_COMMAND_QUEUE);
  EXPECT_EQ(clEnqueueTask(queue, nullptr, 0, nullptr, nullptr), CL_INVALID_KERNEL);
  EXPECT_EQ(clFinish(nullptr), CL_INVALID_COMMAND_QUEUE);
  cl_int err = CL_SUCCESS;
  EXPECT_EQ(clCreateBuffer(nullptr, CL_MEM_READ_WRITE, 4, nullptr, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_CONTEXT);
  EXPECT_EQ(clCreateKernel(program, nullptr, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_VALUE);
}

TEST_F(OpenClMisuse, ReleasedHandles) {
  cl_int err = CL_SUCCESS;
  cl_mem gone = clCreateBuffer(context, CL_MEM_READ_WRITE, 16, nullptr, &err);
  ASSERT_EQ(clReleaseMemObject(gone), CL_SUCCESS);
  size_t size = 0;
  EXPECT_EQ(clGetMemObjectInfo(gone, CL_MEM_SIZE, sizeof size, &size, nullptr),
            CL_INVALID_MEM_OBJECT);
  EXPECT_EQ(clReleaseMemObject(gone), CL_INVALID_MEM_OBJECT);
  char data[16] = {};
  EXPECT_EQ(clEnqueueWriteBuffer(queue, gone, CL_TRUE, 0, 16, data, 0, nullptr, nullptr),
            CL_INVALID_MEM_OBJECT);
  EXPECT_EQ(clSetKernelArg(kernel, 0, sizeof(cl_mem), &gone), CL_INVALID_MEM_OBJECT);

  cl_kernel dead_kernel = clCreateKernel(program, "tessera_gemm_s8s32", &err);
  ASSERT_EQ(clReleaseKernel(dead_kernel), CL_SUCCESS);
  EXPECT_EQ(clSetKernelArg(dead_kernel, 0, sizeof(cl_mem), &buffer), CL_INVALID_KERNEL);
  EXPECT_EQ(clEnqueueTask(queue, dead_kernel, 0, nullptr, nullptr), CL_INVALID_KERNEL);

  cl_event event = nullptr;
  ASSERT_EQ(clEnqueueWriteBuffer(queue, buffer, CL_TRUE, 0, 16, data, 0, nullptr, &event),
            CL_SUCCESS);
  ASSERT_EQ(clReleaseEvent(event), CL_SUCCESS);
  EXPECT_EQ(clWaitForEvents(1, &event), CL_INVALID_EVENT);
  EXPECT_EQ(clEnqueueReadBuffer(queue, buffer, CL_TRUE, 0, 16, data, 1, &event, nullptr),
            CL_INVALID_EVENT_WAIT_LIST);

  cl_command_queue dead_queue = clCreateCommandQueueWithProperties(context, device, nullptr, &err);
  ASSERT_EQ(clReleaseCommandQueue(dead_queue), CL_SUCCESS);
  EXPECT_EQ(clEnqueueReadBuffer(dead_queue, buffer, CL_TRUE, 0, 16, data, 0, nullptr, nullptr),
            CL_INVALID_COMMAND_QUEUE);
  EXPECT_EQ(clFinish(dead_queue), CL_INVALID_COMMAND_QUEUE);

  cl_context dead_context = clCreateContext(nullptr, 1, &device, nullptr, nullptr, &err);
  ASSERT_EQ(clReleaseContext(dead_context), CL_SUCCESS);
  EXPECT_EQ(clCreateBuffer(dead_context, CL_MEM_READ_WRITE, 4, nullptr, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_CONTEXT);
}

TEST_F(OpenClMisuse, KernelArguments) {
  EXPECT_EQ(clSetKernelArg(kernel, 6, sizeof(cl_uint), &buffer), CL_INVALID_ARG_INDEX);
  EXPECT_EQ(clSetKernelArg(kernel, 0, sizeof(cl_uint), &buffer), CL_INVALID_ARG_SIZE);
  const cl_ulong wide = 4;
  EXPECT_EQ(clSetKernelArg(kernel, 3, sizeof wide, &wide), CL_INVALID_ARG_SIZE);
  EXPECT_EQ(clSetKernelArg(kernel, 3, sizeof(cl_uint), nullptr), CL_INVALID_ARG_VALUE);
  auto [other, other_queue] = other_context();
  cl_int err = CL_SUCCESS;
  cl_mem foreign = clCreateBuffer(other, CL_MEM_READ_WRITE, 16, nullptr, &err);
  EXPECT_EQ(clSetKernelArg(kernel, 0, sizeof(cl_mem), &foreign), CL_INVALID_MEM_OBJECT);
  // Not every argument set yet.
  EXPECT_EQ(clEnqueueTask(queue, kernel, 0, nullptr, nullptr), CL_INVALID_KERNEL_ARGS);
  cl_kernel unknown = clCreateKernel(program, "tessera_conv2d", &err);
  EXPECT_EQ(unknown, nullptr);
  EXPECT_EQ(err, CL_INVALID_KERNEL_NAME);
  EXPECT_EQ(clCreateProgramWithBuiltInKernels(context, 1, &device, "no_such_kernel", &err),
            nullptr);
  EXPECT_EQ(err, CL_INVALID_VALUE);
  clReleaseMemObject(foreign);
  clReleaseCommandQueue(other_queue);
  clReleaseContext(other);
}

TEST_F(OpenClMisuse, SizesBeyondTheBuffersAreRefusedAtEnqueue) {
  set_all_args(buffer, buffer, buffer, 4, 4, 4);  // 16 + 16 + 64 bytes of a 64-byte buffer
  EXPECT_EQ(clEnqueueTask(queue, kernel, 0, nullptr, nullptr), CL_SUCCESS);
  set_all_args(buffer, buffer, buffer, 8, 4, 9);  // A needs 72 bytes
  EXPECT_EQ(clEnqueueTask(queue, kernel, 0, nullptr, nullptr), CL_INVALID_VALUE);
  set_all_args(buffer, buffer, buffer, 5, 4, 4);  // C needs 80 bytes
  EXPECT_EQ(clEnqueueTask(queue, kernel, 0, nullptr, nullptr), CL_INVALID_VALUE);
  set_all_args(buffer, buffer, buffer, 0xffffffffu, 0xffffffffu, 0xffffffffu);
  EXPECT_EQ(clEnqueueTask(queue, kernel, 0, nullptr, nullptr), CL_INVALID_VALUE);
  set_all_args(buffer, buffer, buffer, 2, 2, 2);
  const size_t one = 1, two = 2;
  EXPECT_EQ(clEnqueueNDRangeKernel(queue, kernel, 1, nullptr, &two, nullptr, 0, nullptr, nullptr),
            CL_INVALID_GLOBAL_WORK_SIZE);
  EXPECT_EQ(
      clEnqueueNDRangeKernel(queue, kernel, 1, nullptr, nullptr, nullptr, 0, nullptr, nullptr),
      CL_INVALID_GLOBAL_WORK_SIZE);
  EXPECT_EQ(clEnqueueNDRangeKernel(queue, kernel, 4, nullptr, &one, nullptr, 0, nullptr, nullptr),
            CL_INVALID_WORK_DIMENSION);
  const size_t one_by_two[2] = {1, 2}, one_by_one[2] = {1, 1};
  EXPECT_EQ(
      clEnqueueNDRangeKernel(queue, kernel, 2, nullptr, one_by_two, nullptr, 0, nullptr, nullptr),
      CL_INVALID_GLOBAL_WORK_SIZE);
  EXPECT_EQ(
      clEnqueueNDRangeKernel(queue, kernel, 2, nullptr, one_by_one, nullptr, 0, nullptr, nullptr),
      CL_SUCCESS);
  EXPECT_EQ(clEnqueueNDRangeKernel(queue, kernel, 1, nullptr, &one, &two, 0, nullptr, nullptr),
            CL_INVALID_WORK_GROUP_SIZE);
  EXPECT_EQ(clEnqueueNDRangeKernel(queue, kernel, 1, &one, &one, nullptr, 0, nullptr, nullptr),
            CL_INVALID_GLOBAL_OFFSET);
  EXPECT_EQ(clEnqueueNDRangeKernel(queue, kernel, 1, nullptr, &one, &one, 0, nullptr, nullptr),
            CL_SUCCESS);
}

TEST_F(OpenClMisuse, TransfersOutsideTheBuffer) {
  char data[128] = {};
  EXPECT_EQ(clEnqueueReadBuffer(queue, buffer, CL_TRUE, 0, 65, data, 0, nullptr, nullptr),
            CL_INVALID_VALUE);
  EXPECT_EQ(clEnqueueReadBuffer(queue, buffer, CL_TRUE, 60, 8, data, 0, nullptr, nullptr),
            CL_INVALID_VALUE);
  EXPECT_EQ(clEnqueueWriteBuffer(queue, buffer, CL_TRUE, 64, 1, data, 0, nullptr, nullptr),
            CL_INVALID_VALUE);
  EXPECT_EQ(clEnqueueWriteBuffer(queue, buffer, CL_TRUE, 0, 8, nullptr, 0, nullptr, nullptr),
            CL_INVALID_VALUE);
  EXPECT_EQ(clEnqueueReadBuffer(queue, buffer, CL_TRUE, SIZE_MAX, 2, data, 0, nullptr, nullptr),
            CL_INVALID_VALUE);
  const int pattern = 7;
  EXPECT_EQ(clEnqueueFillBuffer(queue, buffer, &pattern, 3, 0, 12, 0, nullptr, nullptr),
            CL_INVALID_VALUE);
  EXPECT_EQ(clEnqueueCopyBuffer(queue, buffer, buffer, 0, 8, 16, 0, nullptr, nullptr),
            CL_MEM_COPY_OVERLAP);
  cl_int err = CL_SUCCESS;
  EXPECT_EQ(
      clEnqueueMapBuffer(queue, buffer, CL_TRUE, CL_MAP_READ, 32, 64, 0, nullptr, nullptr, &err),
      nullptr);
  EXPECT_EQ(err, CL_INVALID_VALUE);
  EXPECT_EQ(clCreateBuffer(context, CL_MEM_READ_WRITE, 0, nullptr, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_BUFFER_SIZE);
  EXPECT_EQ(clCreateBuffer(context, CL_MEM_COPY_HOST_PTR, 8, nullptr, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_HOST_PTR);
  EXPECT_EQ(clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_WRITE_ONLY, 8, nullptr, &err),
            nullptr);
  EXPECT_EQ(err, CL_INVALID_VALUE);
}

TEST_F(OpenClMisuse, ObjectsOfAnotherContext) {
  auto [other, other_queue] = other_context();
  char data[16] = {};
  EXPECT_EQ(clEnqueueWriteBuffer(other_queue, buffer, CL_TRUE, 0, 16, data, 0, nullptr, nullptr),
            CL_INVALID_CONTEXT);
  set_all_args(buffer, buffer, buffer, 2, 2, 2);
  EXPECT_EQ(clEnqueueTask(other_queue, kernel, 0, nullptr, nullptr), CL_INVALID_CONTEXT);
  cl_event event = nullptr;
  ASSERT_EQ(clEnqueueWriteBuffer(queue, buffer, CL_TRUE, 0, 16, data, 0, nullptr, &event),
            CL_SUCCESS);
  cl_int err = CL_SUCCESS;
  cl_mem theirs = clCreateBuffer(other, CL_MEM_READ_WRITE, 16, nullptr, &err);
  EXPECT_EQ(clEnqueueReadBuffer(other_queue, theirs, CL_TRUE, 0, 16, data, 1, &event, nullptr),
            CL_INVALID_CONTEXT);
  clReleaseEvent(event);
  clReleaseMemObject(theirs);
  clReleaseCommandQueue(other_queue);
  clReleaseContext(other);
}

TEST_F(OpenClMisuse, QueuesAndProfiling) {
  cl_int err = CL_SUCCESS;
  const cl_queue_properties out_of_order[] = {CL_QUEUE_PROPERTIES,
                                              CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE, 0};
  EXPECT_EQ(clCreateCommandQueueWithProperties(context, device, out_of_order, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_QUEUE_PROPERTIES);
  cl_event event = nullptr;
  char data[8] = {};
  ASSERT_EQ(clEnqueueWriteBuffer(queue, buffer, CL_TRUE, 0, 8, data, 0, nullptr, &event),
            CL_SUCCESS);
  cl_ulong start = 0;
  EXPECT_EQ(
      clGetEventProfilingInfo(event, CL_PROFILING_COMMAND_START, sizeof start, &start, nullptr),
      CL_PROFILING_INFO_NOT_AVAILABLE);  // the queue has no profiling
  cl_int status = 0;
  EXPECT_EQ(
      clGetEventInfo(event, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr),
      CL_SUCCESS);
  EXPECT_EQ(status, CL_COMPLETE);
  clReleaseEvent(event);
  EXPECT_EQ(clGetDeviceInfo(device, 0x7fff, 0, nullptr, nullptr), CL_INVALID_VALUE);
  char small[2];
  EXPECT_EQ(clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof small, small, nullptr),
            CL_INVALID_VALUE);
}

// OpenCL 2.0 and later features (the devices report 1.2) answer CL_INVALID_OPERATION,
// as the specification lists for a device without them.
TEST_F(OpenClMisuse, EntryPointsPast12AnswerInsteadOfCrashing) {
  cl_int err = CL_SUCCESS;
  EXPECT_EQ(clCreatePipe(context, CL_MEM_READ_WRITE, 4, 4, nullptr, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_OPERATION);
  EXPECT_EQ(clSVMAlloc(context, CL_MEM_READ_WRITE, 64, 0), nullptr);
  EXPECT_EQ(clCreateProgramWithIL(context, "x", 1, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_OPERATION);
}

}  // namespace
}  // namespace tessera::testing

namespace tessera::testing {
namespace {

// What a device reports comes from its hardware configuration (configs/*.json).
TEST(OpenClDeviceInfo, MatchesTheConfiguration) {
  struct Expected {
    const char* device;
    cl_uint address_bits;
    cl_ulong memory;
    cl_uint clock_mhz;
    cl_uint units;
  };
  for (const Expected& e : {Expected{"kv260 (tlm)", 32, 4ull << 30, 300, 1},
                            Expected{"u280 (tlm)", 64, 8ull << 30, 300, 7}}) {
    SCOPED_TRACE(e.device);
    const cl_device_id device = tessera_device(e.device);
    cl_uint bits = 0, clock = 0, units = 0;
    cl_ulong memory = 0;
    ASSERT_EQ(clGetDeviceInfo(device, CL_DEVICE_ADDRESS_BITS, sizeof bits, &bits, nullptr),
              CL_SUCCESS);
    clGetDeviceInfo(device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof memory, &memory, nullptr);
    clGetDeviceInfo(device, CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof clock, &clock, nullptr);
    clGetDeviceInfo(device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, nullptr);
    EXPECT_EQ(bits, e.address_bits);  // kv260's 32-bit map; u280's 34 bits round up to 64
    EXPECT_EQ(memory, e.memory);
    EXPECT_EQ(clock, e.clock_mhz);
    EXPECT_EQ(units, e.units);
  }
}

}  // namespace
}  // namespace tessera::testing
