// OpenCL 1.2 behaviours of the tessera platform that the Khronos conformance tests
// (test_computeinfo, test_api) check, held here so CI guards them without the
// external suite (scripts/opencl-cts runs the suite itself). Expected values come
// from the OpenCL 1.2 specification's tables and error lists.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "opencl_support.hpp"

namespace tessera::testing {
namespace {

std::string device_string(cl_device_id device, cl_device_info param) {
  size_t size = 0;
  EXPECT_EQ(clGetDeviceInfo(device, param, 0, nullptr, &size), CL_SUCCESS);
  std::string value(size, '\0');
  EXPECT_EQ(clGetDeviceInfo(device, param, size, value.data(), nullptr), CL_SUCCESS);
  if (!value.empty()) value.pop_back();  // the terminating NUL
  return value;
}

bool has_word(const std::string& list, const std::string& word) {
  return (" " + list + " ").find(" " + word + " ") != std::string::npos;
}

// Every clGetDeviceInfo query of OpenCL 1.2, with the size of its answer (the
// specification's type; arrays of size_t[3] for the work-item sizes).
struct Query {
  cl_device_info param;
  const char* name;
  size_t size;  // 0: a string, of any length
};
#define QUERY(param, type) \
  Query { param, #param, sizeof(type) }
#define STRING_QUERY(param) \
  Query { param, #param, 0 }
const std::vector<Query>& device_queries() {
  static const std::vector<Query> queries = {
      QUERY(CL_DEVICE_TYPE, cl_device_type),
      QUERY(CL_DEVICE_VENDOR_ID, cl_uint),
      QUERY(CL_DEVICE_MAX_COMPUTE_UNITS, cl_uint),
      QUERY(CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS, cl_uint),
      Query{CL_DEVICE_MAX_WORK_ITEM_SIZES, "CL_DEVICE_MAX_WORK_ITEM_SIZES", 3 * sizeof(size_t)},
      QUERY(CL_DEVICE_MAX_WORK_GROUP_SIZE, size_t),
      QUERY(CL_DEVICE_PREFERRED_VECTOR_WIDTH_CHAR, cl_uint),
      QUERY(CL_DEVICE_PREFERRED_VECTOR_WIDTH_SHORT, cl_uint),
      QUERY(CL_DEVICE_PREFERRED_VECTOR_WIDTH_INT, cl_uint),
      QUERY(CL_DEVICE_PREFERRED_VECTOR_WIDTH_LONG, cl_uint),
      QUERY(CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, cl_uint),
      QUERY(CL_DEVICE_PREFERRED_VECTOR_WIDTH_DOUBLE, cl_uint),
      QUERY(CL_DEVICE_PREFERRED_VECTOR_WIDTH_HALF, cl_uint),
      QUERY(CL_DEVICE_NATIVE_VECTOR_WIDTH_CHAR, cl_uint),
      QUERY(CL_DEVICE_NATIVE_VECTOR_WIDTH_SHORT, cl_uint),
      QUERY(CL_DEVICE_NATIVE_VECTOR_WIDTH_INT, cl_uint),
      QUERY(CL_DEVICE_NATIVE_VECTOR_WIDTH_LONG, cl_uint),
      QUERY(CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT, cl_uint),
      QUERY(CL_DEVICE_NATIVE_VECTOR_WIDTH_DOUBLE, cl_uint),
      QUERY(CL_DEVICE_NATIVE_VECTOR_WIDTH_HALF, cl_uint),
      QUERY(CL_DEVICE_MAX_CLOCK_FREQUENCY, cl_uint),
      QUERY(CL_DEVICE_ADDRESS_BITS, cl_uint),
      QUERY(CL_DEVICE_MAX_MEM_ALLOC_SIZE, cl_ulong),
      QUERY(CL_DEVICE_IMAGE_SUPPORT, cl_bool),
      QUERY(CL_DEVICE_MAX_READ_IMAGE_ARGS, cl_uint),
      QUERY(CL_DEVICE_MAX_WRITE_IMAGE_ARGS, cl_uint),
      QUERY(CL_DEVICE_IMAGE2D_MAX_WIDTH, size_t),
      QUERY(CL_DEVICE_IMAGE2D_MAX_HEIGHT, size_t),
      QUERY(CL_DEVICE_IMAGE3D_MAX_WIDTH, size_t),
      QUERY(CL_DEVICE_IMAGE3D_MAX_HEIGHT, size_t),
      QUERY(CL_DEVICE_IMAGE3D_MAX_DEPTH, size_t),
      QUERY(CL_DEVICE_IMAGE_MAX_BUFFER_SIZE, size_t),
      QUERY(CL_DEVICE_IMAGE_MAX_ARRAY_SIZE, size_t),
      QUERY(CL_DEVICE_MAX_SAMPLERS, cl_uint),
      QUERY(CL_DEVICE_MAX_PARAMETER_SIZE, size_t),
      QUERY(CL_DEVICE_MEM_BASE_ADDR_ALIGN, cl_uint),
      QUERY(CL_DEVICE_MIN_DATA_TYPE_ALIGN_SIZE, cl_uint),
      QUERY(CL_DEVICE_SINGLE_FP_CONFIG, cl_device_fp_config),
      QUERY(CL_DEVICE_DOUBLE_FP_CONFIG, cl_device_fp_config),
      QUERY(CL_DEVICE_GLOBAL_MEM_CACHE_TYPE, cl_device_mem_cache_type),
      QUERY(CL_DEVICE_GLOBAL_MEM_CACHELINE_SIZE, cl_uint),
      QUERY(CL_DEVICE_GLOBAL_MEM_CACHE_SIZE, cl_ulong),
      QUERY(CL_DEVICE_GLOBAL_MEM_SIZE, cl_ulong),
      QUERY(CL_DEVICE_MAX_CONSTANT_BUFFER_SIZE, cl_ulong),
      QUERY(CL_DEVICE_MAX_CONSTANT_ARGS, cl_uint),
      QUERY(CL_DEVICE_LOCAL_MEM_TYPE, cl_device_local_mem_type),
      QUERY(CL_DEVICE_LOCAL_MEM_SIZE, cl_ulong),
      QUERY(CL_DEVICE_ERROR_CORRECTION_SUPPORT, cl_bool),
      QUERY(CL_DEVICE_HOST_UNIFIED_MEMORY, cl_bool),
      QUERY(CL_DEVICE_PROFILING_TIMER_RESOLUTION, size_t),
      QUERY(CL_DEVICE_ENDIAN_LITTLE, cl_bool),
      QUERY(CL_DEVICE_AVAILABLE, cl_bool),
      QUERY(CL_DEVICE_COMPILER_AVAILABLE, cl_bool),
      QUERY(CL_DEVICE_LINKER_AVAILABLE, cl_bool),
      QUERY(CL_DEVICE_EXECUTION_CAPABILITIES, cl_device_exec_capabilities),
      QUERY(CL_DEVICE_QUEUE_PROPERTIES, cl_command_queue_properties),
      STRING_QUERY(CL_DEVICE_BUILT_IN_KERNELS),
      QUERY(CL_DEVICE_PLATFORM, cl_platform_id),
      STRING_QUERY(CL_DEVICE_NAME),
      STRING_QUERY(CL_DEVICE_VENDOR),
      STRING_QUERY(CL_DRIVER_VERSION),
      STRING_QUERY(CL_DEVICE_PROFILE),
      STRING_QUERY(CL_DEVICE_VERSION),
      STRING_QUERY(CL_DEVICE_OPENCL_C_VERSION),
      STRING_QUERY(CL_DEVICE_EXTENSIONS),
      QUERY(CL_DEVICE_PRINTF_BUFFER_SIZE, size_t),
      QUERY(CL_DEVICE_PREFERRED_INTEROP_USER_SYNC, cl_bool),
      QUERY(CL_DEVICE_PARENT_DEVICE, cl_device_id),
      QUERY(CL_DEVICE_PARTITION_MAX_SUB_DEVICES, cl_uint),
      QUERY(CL_DEVICE_PARTITION_AFFINITY_DOMAIN, cl_device_affinity_domain),
      QUERY(CL_DEVICE_REFERENCE_COUNT, cl_uint),
  };
  return queries;
}
#undef QUERY
#undef STRING_QUERY

TEST(OpenClConformance, EveryDeviceQueryOf12IsAnsweredWithItsType) {
  for (cl_device_id device : tessera_devices()) {
    SCOPED_TRACE(device_name(device));
    for (const Query& q : device_queries()) {
      SCOPED_TRACE(q.name);
      size_t size = 0;
      ASSERT_EQ(clGetDeviceInfo(device, q.param, 0, nullptr, &size), CL_SUCCESS);
      if (q.size != 0) {
        EXPECT_EQ(size, q.size);
        std::vector<unsigned char> value(q.size);  // an exact-size buffer is enough
        EXPECT_EQ(clGetDeviceInfo(device, q.param, q.size, value.data(), nullptr), CL_SUCCESS);
      } else {
        EXPECT_GE(size, 1u);
      }
    }
  }
}

// The embedded profile (no compiler) at version 1.2: the version strings' forms, the
// extensions a 1.1+ device lists, and the profile's minimums (OpenCL 1.2 table 4.3).
TEST(OpenClConformance, VersionProfileAndMinimumsAreConsistent) {
  for (cl_device_id device : tessera_devices()) {
    SCOPED_TRACE(device_name(device));
    EXPECT_EQ(device_string(device, CL_DEVICE_PROFILE), "EMBEDDED_PROFILE");
    EXPECT_EQ(device_string(device, CL_DEVICE_VERSION).rfind("OpenCL 1.2 ", 0), 0u);
    EXPECT_EQ(device_string(device, CL_DEVICE_OPENCL_C_VERSION).rfind("OpenCL C 1.2 ", 0), 0u);
    const std::string extensions = device_string(device, CL_DEVICE_EXTENSIONS);
    for (const char* required :
         {"cl_khr_global_int32_base_atomics", "cl_khr_global_int32_extended_atomics",
          "cl_khr_local_int32_base_atomics", "cl_khr_local_int32_extended_atomics",
          "cl_khr_byte_addressable_store"}) {
      EXPECT_TRUE(has_word(extensions, required)) << required;
    }
    cl_ulong local = 0, constant = 0;
    size_t printf_buffer = 0;
    clGetDeviceInfo(device, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local, &local, nullptr);
    clGetDeviceInfo(device, CL_DEVICE_MAX_CONSTANT_BUFFER_SIZE, sizeof constant, &constant,
                    nullptr);
    clGetDeviceInfo(device, CL_DEVICE_PRINTF_BUFFER_SIZE, sizeof printf_buffer, &printf_buffer,
                    nullptr);
    EXPECT_GE(local, 1024u);
    EXPECT_GE(constant, 1024u);
    EXPECT_GE(printf_buffer, 1024u);
    cl_bool compiler = CL_TRUE, linker = CL_TRUE;
    clGetDeviceInfo(device, CL_DEVICE_COMPILER_AVAILABLE, sizeof compiler, &compiler, nullptr);
    clGetDeviceInfo(device, CL_DEVICE_LINKER_AVAILABLE, sizeof linker, &linker, nullptr);
    EXPECT_EQ(compiler, CL_FALSE);
    EXPECT_EQ(linker, CL_FALSE);
  }
  size_t size = 0;
  ASSERT_EQ(clGetPlatformInfo(tessera_platform(), CL_PLATFORM_EXTENSIONS, 0, nullptr, &size),
            CL_SUCCESS);
  std::string platform(size, '\0');
  clGetPlatformInfo(tessera_platform(), CL_PLATFORM_EXTENSIONS, size, platform.data(), nullptr);
  platform.pop_back();
  EXPECT_TRUE(has_word(platform, "cl_khr_icd"));
  EXPECT_TRUE(has_word(platform, "cl_khr_byte_addressable_store"));
}

TEST(OpenClConformance, DeviceTypesAndContextProperties) {
  const cl_platform_id platform = tessera_platform();
  cl_device_id device = nullptr;
  EXPECT_EQ(clGetDeviceIDs(platform, 0, 1, &device, nullptr), CL_INVALID_DEVICE_TYPE);
  EXPECT_EQ(clGetDeviceIDs(platform, cl_device_type{1} << 40, 1, &device, nullptr),
            CL_INVALID_DEVICE_TYPE);
  EXPECT_EQ(clGetDeviceIDs(platform, CL_DEVICE_TYPE_GPU, 1, &device, nullptr), CL_DEVICE_NOT_FOUND);
  ASSERT_EQ(clGetDeviceIDs(platform, CL_DEVICE_TYPE_DEFAULT, 1, &device, nullptr), CL_SUCCESS);

  const auto p = reinterpret_cast<cl_context_properties>(platform);
  const cl_context_properties twice[] = {CL_CONTEXT_PLATFORM, p, CL_CONTEXT_PLATFORM, p, 0};
  const cl_context_properties unknown[] = {0x7fff, 1, 0};
  const cl_context_properties sync[] = {CL_CONTEXT_PLATFORM, p, CL_CONTEXT_INTEROP_USER_SYNC,
                                        CL_TRUE, 0};
  cl_int err = CL_SUCCESS;
  EXPECT_EQ(clCreateContextFromType(twice, CL_DEVICE_TYPE_ACCELERATOR, nullptr, nullptr, &err),
            nullptr);
  EXPECT_EQ(err, CL_INVALID_PROPERTY);
  EXPECT_EQ(clCreateContext(twice, 1, &device, nullptr, nullptr, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_PROPERTY);
  EXPECT_EQ(clCreateContext(unknown, 1, &device, nullptr, nullptr, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_PROPERTY);
  const cl_context_properties ours[] = {CL_CONTEXT_PLATFORM, p, 0};
  EXPECT_EQ(clCreateContextFromType(ours, 0, nullptr, nullptr, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_DEVICE_TYPE);
  int data = 0;
  EXPECT_EQ(clCreateContext(nullptr, 1, &device, nullptr, &data, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_VALUE);

  cl_context context = clCreateContext(sync, 1, &device, nullptr, nullptr, &err);
  ASSERT_EQ(err, CL_SUCCESS);
  size_t size = 0;
  ASSERT_EQ(clGetContextInfo(context, CL_CONTEXT_PROPERTIES, 0, nullptr, &size), CL_SUCCESS);
  ASSERT_EQ(size, sizeof sync);
  std::vector<cl_context_properties> got(size / sizeof(cl_context_properties));
  clGetContextInfo(context, CL_CONTEXT_PROPERTIES, size, got.data(), nullptr);
  EXPECT_EQ(std::memcmp(got.data(), sync, sizeof sync), 0);
  clReleaseContext(context);
}

TEST(OpenClConformance, NoImagesButAnAnswerForFormats) {
  const cl_device_id device = tessera_device("kv260 (func)");
  cl_int err = CL_SUCCESS;
  cl_context context = clCreateContext(nullptr, 1, &device, nullptr, nullptr, &err);
  ASSERT_EQ(err, CL_SUCCESS);
  cl_uint count = 99;
  EXPECT_EQ(clGetSupportedImageFormats(context, CL_MEM_READ_ONLY, CL_MEM_OBJECT_IMAGE2D, 0, nullptr,
                                       &count),
            CL_SUCCESS);
  EXPECT_EQ(count, 0u);
  cl_image_format format{};
  EXPECT_EQ(clGetSupportedImageFormats(context, CL_MEM_READ_ONLY, CL_MEM_OBJECT_IMAGE2D, 0, &format,
                                       nullptr),
            CL_INVALID_VALUE);
  EXPECT_EQ(clGetSupportedImageFormats(context, CL_MEM_READ_ONLY, CL_MEM_OBJECT_BUFFER, 1, &format,
                                       &count),
            CL_INVALID_VALUE);
  EXPECT_EQ(clGetSupportedImageFormats(nullptr, CL_MEM_READ_ONLY, CL_MEM_OBJECT_IMAGE2D, 0, nullptr,
                                       &count),
            CL_INVALID_CONTEXT);
  // Without image support: no images or samplers can be made, and no handle is one.
  const cl_image_desc desc{CL_MEM_OBJECT_IMAGE2D, 4, 4, 1, 1, 0, 0, 0, 0, {nullptr}};
  const cl_image_format rgba{CL_RGBA, CL_UNORM_INT8};
  EXPECT_EQ(clCreateImage(context, CL_MEM_READ_ONLY, &rgba, &desc, nullptr, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_OPERATION);
  EXPECT_EQ(clCreateSamplerWithProperties(context, nullptr, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_OPERATION);
  cl_mem buffer = clCreateBuffer(context, CL_MEM_READ_WRITE, 64, nullptr, &err);
  size_t width = 0;
  EXPECT_EQ(clGetImageInfo(buffer, CL_IMAGE_WIDTH, sizeof width, &width, nullptr),
            CL_INVALID_MEM_OBJECT);
  EXPECT_EQ(clReleaseSampler(nullptr), CL_INVALID_SAMPLER);
  const cl_device_partition_property equally[] = {CL_DEVICE_PARTITION_EQUALLY, 1, 0};
  EXPECT_EQ(clCreateSubDevices(device, equally, 0, nullptr, nullptr), CL_INVALID_VALUE);
  clReleaseMemObject(buffer);
  clReleaseContext(context);
}

// A device without a compiler still creates programs from source; building,
// compiling and linking them fail with the spec's "not available" errors.
TEST(OpenClConformance, ProgramsFromSourceNeedTheMissingCompiler) {
  cl_device_id device = tessera_device("kv260 (func)");
  cl_int err = CL_SUCCESS;
  cl_context context = clCreateContext(nullptr, 1, &device, nullptr, nullptr, &err);
  const char* source = "kernel void k(global int* x) { x[0] = 1; }";
  cl_program program = clCreateProgramWithSource(context, 1, &source, nullptr, &err);
  ASSERT_EQ(err, CL_SUCCESS);
  size_t size = 0;
  ASSERT_EQ(clGetProgramInfo(program, CL_PROGRAM_SOURCE, 0, nullptr, &size), CL_SUCCESS);
  std::string text(size, '\0');
  clGetProgramInfo(program, CL_PROGRAM_SOURCE, size, text.data(), nullptr);
  EXPECT_STREQ(text.c_str(), source);
  cl_build_status status = CL_BUILD_SUCCESS;
  clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_STATUS, sizeof status, &status, nullptr);
  EXPECT_EQ(status, CL_BUILD_NONE);
  EXPECT_EQ(clCompileProgram(program, 1, &device, nullptr, 0, nullptr, nullptr, nullptr, nullptr),
            CL_COMPILER_NOT_AVAILABLE);
  EXPECT_EQ(clBuildProgram(program, 1, &device, nullptr, nullptr, nullptr),
            CL_COMPILER_NOT_AVAILABLE);
  clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_STATUS, sizeof status, &status, nullptr);
  EXPECT_EQ(status, CL_BUILD_ERROR);
  EXPECT_EQ(clCreateKernel(program, "k", &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_PROGRAM_EXECUTABLE);
  size_t kernels = 0;
  EXPECT_EQ(clGetProgramInfo(program, CL_PROGRAM_NUM_KERNELS, sizeof kernels, &kernels, nullptr),
            CL_INVALID_PROGRAM_EXECUTABLE);
  EXPECT_EQ(clLinkProgram(context, 1, &device, "", 1, &program, nullptr, nullptr, &err), nullptr);
  EXPECT_EQ(err, CL_LINKER_NOT_AVAILABLE);
  EXPECT_EQ(clCreateProgramWithSource(context, 0, &source, nullptr, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_VALUE);

  // Built-in kernels have no source to compile; nothing is a loadable binary.
  cl_program built_in =
      clCreateProgramWithBuiltInKernels(context, 1, &device, "tessera_gemm_s8s32", &err);
  EXPECT_EQ(clCompileProgram(built_in, 0, nullptr, nullptr, 0, nullptr, nullptr, nullptr, nullptr),
            CL_INVALID_OPERATION);
  const unsigned char bytes[4] = {1, 2, 3, 4};
  const unsigned char* binary = bytes;
  const size_t length = sizeof bytes;
  cl_int binary_status = CL_SUCCESS;
  EXPECT_EQ(clCreateProgramWithBinary(context, 1, &device, &length, &binary, &binary_status, &err),
            nullptr);
  EXPECT_EQ(err, CL_INVALID_BINARY);
  EXPECT_EQ(binary_status, CL_INVALID_BINARY);
  EXPECT_EQ(clUnloadPlatformCompiler(tessera_platform()), CL_SUCCESS);
  clReleaseProgram(built_in);
  clReleaseProgram(program);
  clReleaseContext(context);
}

class OpenClBuffers : public ::testing::Test {
 protected:
  void SetUp() override {
    device = tessera_device("kv260 (tlm)");
    ASSERT_NE(device, nullptr);
    cl_int err = CL_SUCCESS;
    context = clCreateContext(nullptr, 1, &device, nullptr, nullptr, &err);
    queue = clCreateCommandQueueWithProperties(context, device, nullptr, &err);
    ASSERT_EQ(err, CL_SUCCESS);
    cl_uint bits = 0;
    clGetDeviceInfo(device, CL_DEVICE_MEM_BASE_ADDR_ALIGN, sizeof bits, &bits, nullptr);
    align = bits / 8;
  }
  void TearDown() override {
    clReleaseCommandQueue(queue);
    clReleaseContext(context);
  }
  cl_device_id device = nullptr;
  cl_context context = nullptr;
  cl_command_queue queue = nullptr;
  size_t align = 0;
};

TEST_F(OpenClBuffers, SubBuffersShareTheirParentsBytes) {
  cl_int err = CL_SUCCESS;
  std::vector<unsigned char> bytes(3 * align);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i * 7);
  cl_mem parent = clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, bytes.size(),
                                 bytes.data(), &err);
  ASSERT_EQ(err, CL_SUCCESS);
  const cl_buffer_region region{align, align};
  cl_mem sub =
      clCreateSubBuffer(parent, CL_MEM_READ_ONLY, CL_BUFFER_CREATE_TYPE_REGION, &region, &err);
  ASSERT_EQ(err, CL_SUCCESS);
  std::vector<unsigned char> got(align);
  ASSERT_EQ(clEnqueueReadBuffer(queue, sub, CL_TRUE, 0, align, got.data(), 0, nullptr, nullptr),
            CL_SUCCESS);
  EXPECT_EQ(std::memcmp(got.data(), bytes.data() + align, align), 0);
  // A write into the sub-buffer lands in the parent at the origin.
  const unsigned char marker[4] = {0xde, 0xad, 0xbe, 0xef};
  ASSERT_EQ(clEnqueueWriteBuffer(queue, sub, CL_TRUE, 8, 4, marker, 0, nullptr, nullptr),
            CL_SUCCESS);
  unsigned char back[4] = {};
  clEnqueueReadBuffer(queue, parent, CL_TRUE, align + 8, 4, back, 0, nullptr, nullptr);
  EXPECT_EQ(std::memcmp(back, marker, 4), 0);

  cl_mem associated = nullptr;
  size_t offset = 0;
  cl_mem_flags flags = 0;
  clGetMemObjectInfo(sub, CL_MEM_ASSOCIATED_MEMOBJECT, sizeof associated, &associated, nullptr);
  clGetMemObjectInfo(sub, CL_MEM_OFFSET, sizeof offset, &offset, nullptr);
  clGetMemObjectInfo(sub, CL_MEM_FLAGS, sizeof flags, &flags, nullptr);
  EXPECT_EQ(associated, parent);
  EXPECT_EQ(offset, align);
  EXPECT_EQ(flags & CL_MEM_COPY_HOST_PTR, CL_MEM_COPY_HOST_PTR);  // inherited
  EXPECT_EQ(flags & CL_MEM_READ_ONLY, CL_MEM_READ_ONLY);

  // The rules: a region inside, at an aligned origin, of a buffer (not a sub-buffer).
  const cl_buffer_region misaligned{align / 2, 16}, outside{2 * align, 2 * align}, empty{0, 0};
  EXPECT_EQ(clCreateSubBuffer(parent, 0, CL_BUFFER_CREATE_TYPE_REGION, &misaligned, &err), nullptr);
  EXPECT_EQ(err, CL_MISALIGNED_SUB_BUFFER_OFFSET);
  EXPECT_EQ(clCreateSubBuffer(parent, 0, CL_BUFFER_CREATE_TYPE_REGION, &outside, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_VALUE);
  EXPECT_EQ(clCreateSubBuffer(parent, 0, CL_BUFFER_CREATE_TYPE_REGION, &empty, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_BUFFER_SIZE);
  EXPECT_EQ(clCreateSubBuffer(sub, 0, CL_BUFFER_CREATE_TYPE_REGION, &region, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_MEM_OBJECT);
  EXPECT_EQ(
      clCreateSubBuffer(parent, CL_MEM_USE_HOST_PTR, CL_BUFFER_CREATE_TYPE_REGION, &region, &err),
      nullptr);
  EXPECT_EQ(err, CL_INVALID_VALUE);
  EXPECT_EQ(clCreateSubBuffer(parent, 0, 0x7777, &region, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_VALUE);
  clReleaseMemObject(sub);
  clReleaseMemObject(parent);
}

TEST_F(OpenClBuffers, ReadOnlyParentsGiveNoWritableSubBuffers) {
  cl_int err = CL_SUCCESS;
  cl_mem parent =
      clCreateBuffer(context, CL_MEM_READ_ONLY | CL_MEM_HOST_NO_ACCESS, 2 * align, nullptr, &err);
  const cl_buffer_region region{0, align};
  EXPECT_EQ(
      clCreateSubBuffer(parent, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION, &region, &err),
      nullptr);
  EXPECT_EQ(err, CL_INVALID_VALUE);
  EXPECT_EQ(
      clCreateSubBuffer(parent, CL_MEM_HOST_READ_ONLY, CL_BUFFER_CREATE_TYPE_REGION, &region, &err),
      nullptr);
  EXPECT_EQ(err, CL_INVALID_VALUE);
  clReleaseMemObject(parent);
}

// Destructor callbacks run, last registered first, when the buffer is deleted: for a
// buffer with sub-buffers, once the last of them is released too.
TEST_F(OpenClBuffers, DestructorCallbacksRunInReverseOrderWhenTheBufferGoes) {
  cl_int err = CL_SUCCESS;
  cl_mem parent = clCreateBuffer(context, CL_MEM_READ_WRITE, 2 * align, nullptr, &err);
  const cl_buffer_region region{align, align};
  cl_mem sub = clCreateSubBuffer(parent, 0, CL_BUFFER_CREATE_TYPE_REGION, &region, &err);
  static std::vector<int> calls;
  calls.clear();
  auto first = [](cl_mem, void*) { calls.push_back(1); };
  auto second = [](cl_mem, void*) { calls.push_back(2); };
  auto of_sub = [](cl_mem, void*) { calls.push_back(3); };
  ASSERT_EQ(clSetMemObjectDestructorCallback(parent, first, nullptr), CL_SUCCESS);
  ASSERT_EQ(clSetMemObjectDestructorCallback(parent, second, nullptr), CL_SUCCESS);
  ASSERT_EQ(clSetMemObjectDestructorCallback(sub, of_sub, nullptr), CL_SUCCESS);
  EXPECT_EQ(clSetMemObjectDestructorCallback(parent, nullptr, nullptr), CL_INVALID_VALUE);
  clReleaseMemObject(parent);
  EXPECT_TRUE(calls.empty());  // the sub-buffer still uses the storage
  clReleaseMemObject(sub);
  EXPECT_EQ(calls, (std::vector<int>{3, 2, 1}));
}

TEST_F(OpenClBuffers, MigrationMovesContentsAndChecksItsArguments) {
  cl_int err = CL_SUCCESS;
  const std::vector<unsigned char> bytes(256, 0x5a);
  cl_mem buffer = clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, bytes.size(),
                                 const_cast<unsigned char*>(bytes.data()), &err);
  cl_event event = nullptr;
  ASSERT_EQ(clEnqueueMigrateMemObjects(queue, 1, &buffer, 0, 0, nullptr, &event), CL_SUCCESS);
  cl_command_type type = 0;
  clGetEventInfo(event, CL_EVENT_COMMAND_TYPE, sizeof type, &type, nullptr);
  EXPECT_EQ(type, static_cast<cl_command_type>(CL_COMMAND_MIGRATE_MEM_OBJECTS));
  clReleaseEvent(event);
  ASSERT_EQ(clEnqueueMigrateMemObjects(queue, 1, &buffer, CL_MIGRATE_MEM_OBJECT_HOST, 0, nullptr,
                                       nullptr),
            CL_SUCCESS);
  std::vector<unsigned char> got(bytes.size());
  clEnqueueReadBuffer(queue, buffer, CL_TRUE, 0, got.size(), got.data(), 0, nullptr, nullptr);
  EXPECT_EQ(got, bytes);
  EXPECT_EQ(clEnqueueMigrateMemObjects(queue, 0, &buffer, 0, 0, nullptr, nullptr),
            CL_INVALID_VALUE);
  EXPECT_EQ(clEnqueueMigrateMemObjects(queue, 1, &buffer, 0x100, 0, nullptr, nullptr),
            CL_INVALID_VALUE);
  cl_mem none = nullptr;
  EXPECT_EQ(clEnqueueMigrateMemObjects(queue, 1, &none, 0, 0, nullptr, nullptr),
            CL_INVALID_MEM_OBJECT);
  clReleaseMemObject(buffer);
}

// Commands that wait for a user event run when the host sets it, in queue order,
// with the kernel arguments they were enqueued with.
TEST_F(OpenClBuffers, UserEventsHoldCommandsBackUntilTheyAreSet) {
  cl_int err = CL_SUCCESS;
  cl_event gate = clCreateUserEvent(context, &err);
  ASSERT_EQ(err, CL_SUCCESS);
  cl_int status = 0;
  clGetEventInfo(gate, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr);
  EXPECT_EQ(status, CL_SUBMITTED);
  cl_mem buffer = clCreateBuffer(context, CL_MEM_READ_WRITE, 16, nullptr, &err);
  const unsigned char first[4] = {1, 1, 1, 1}, second[4] = {2, 2, 2, 2};
  cl_event written = nullptr, read = nullptr;
  ASSERT_EQ(clEnqueueWriteBuffer(queue, buffer, CL_FALSE, 0, 4, first, 1, &gate, &written),
            CL_SUCCESS);
  // Behind the held write in the in-order queue: it must not overtake it.
  ASSERT_EQ(clEnqueueWriteBuffer(queue, buffer, CL_FALSE, 0, 4, second, 0, nullptr, nullptr),
            CL_SUCCESS);
  unsigned char got[4] = {};
  ASSERT_EQ(clEnqueueReadBuffer(queue, buffer, CL_FALSE, 0, 4, got, 0, nullptr, &read), CL_SUCCESS);
  clGetEventInfo(written, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr);
  EXPECT_EQ(status, CL_QUEUED);
  static int completions = 0;
  completions = 0;
  ASSERT_EQ(clSetEventCallback(
                read, CL_COMPLETE, [](cl_event, cl_int, void*) { ++completions; }, nullptr),
            CL_SUCCESS);
  EXPECT_EQ(completions, 0);
  EXPECT_EQ(got[0], 0);

  EXPECT_EQ(clSetUserEventStatus(gate, CL_RUNNING), CL_INVALID_VALUE);
  ASSERT_EQ(clSetUserEventStatus(gate, CL_COMPLETE), CL_SUCCESS);
  EXPECT_EQ(clSetUserEventStatus(gate, CL_COMPLETE), CL_INVALID_OPERATION);
  ASSERT_EQ(clWaitForEvents(1, &read), CL_SUCCESS);
  EXPECT_EQ(got[0], 2);
  EXPECT_EQ(completions, 1);
  clGetEventInfo(written, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr);
  EXPECT_EQ(status, CL_COMPLETE);
  EXPECT_EQ(clFinish(queue), CL_SUCCESS);
  clReleaseEvent(written);
  clReleaseEvent(read);
  clReleaseEvent(gate);
  clReleaseMemObject(buffer);
}

TEST_F(OpenClBuffers, AFailedUserEventFailsTheCommandsWaitingForIt) {
  cl_int err = CL_SUCCESS;
  cl_event gate = clCreateUserEvent(context, &err);
  cl_event marker = nullptr;
  ASSERT_EQ(clEnqueueMarkerWithWaitList(queue, 1, &gate, &marker), CL_SUCCESS);
  ASSERT_EQ(clSetUserEventStatus(gate, -1), CL_SUCCESS);
  cl_int status = 0;
  clGetEventInfo(marker, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr);
  EXPECT_LT(status, 0);
  EXPECT_EQ(clWaitForEvents(1, &marker), CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST);
  // A user event belongs to its context: another context's queue refuses it.
  cl_context other = clCreateContext(nullptr, 1, &device, nullptr, nullptr, &err);
  cl_command_queue other_queue = clCreateCommandQueueWithProperties(other, device, nullptr, &err);
  cl_event foreign = clCreateUserEvent(other, &err);
  EXPECT_EQ(clEnqueueMarkerWithWaitList(queue, 1, &foreign, nullptr), CL_INVALID_CONTEXT);
  EXPECT_EQ(clSetUserEventStatus(marker, CL_COMPLETE), CL_INVALID_EVENT);
  EXPECT_EQ(clCreateUserEvent(nullptr, &err), nullptr);
  EXPECT_EQ(err, CL_INVALID_CONTEXT);
  clSetUserEventStatus(foreign, CL_COMPLETE);
  clReleaseEvent(foreign);
  clReleaseCommandQueue(other_queue);
  clReleaseContext(other);
  clReleaseEvent(marker);
  clReleaseEvent(gate);
}

TEST_F(OpenClBuffers, EventCallbacksOnCompletedEventsRunAtOnce) {
  cl_event marker = nullptr;
  ASSERT_EQ(clEnqueueMarkerWithWaitList(queue, 0, nullptr, &marker), CL_SUCCESS);
  static cl_int seen = 1;
  seen = 1;
  ASSERT_EQ(
      clSetEventCallback(
          marker, CL_COMPLETE, [](cl_event, cl_int status, void*) { seen = status; }, nullptr),
      CL_SUCCESS);
  EXPECT_EQ(seen, CL_COMPLETE);
  EXPECT_EQ(clSetEventCallback(
                marker, CL_QUEUED, [](cl_event, cl_int, void*) {}, nullptr),
            CL_INVALID_VALUE);
  EXPECT_EQ(clSetEventCallback(marker, CL_COMPLETE, nullptr, nullptr), CL_INVALID_VALUE);
  clReleaseEvent(marker);
}

// A 3x2 region at (1, 1, 0) of a buffer of 5-byte rows, to and from host memory of
// 4-byte rows, and a copy between two places of one buffer.
TEST_F(OpenClBuffers, RectangularRegionsMoveRowByRow) {
  cl_int err = CL_SUCCESS;
  std::vector<unsigned char> bytes(40);
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<unsigned char>(i);
  cl_mem buffer = clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, bytes.size(),
                                 bytes.data(), &err);
  const size_t origin[3] = {1, 1, 0}, host_origin[3] = {0, 0, 0}, region[3] = {3, 2, 1};
  std::vector<unsigned char> host(8, 0xff);
  ASSERT_EQ(clEnqueueReadBufferRect(queue, buffer, CL_TRUE, origin, host_origin, region, 5, 0, 4, 0,
                                    host.data(), 0, nullptr, nullptr),
            CL_SUCCESS);
  EXPECT_EQ(host, (std::vector<unsigned char>{6, 7, 8, 0xff, 11, 12, 13, 0xff}));

  const unsigned char rows[6] = {90, 91, 92, 93, 94, 95};
  ASSERT_EQ(clEnqueueWriteBufferRect(queue, buffer, CL_TRUE, origin, host_origin, region, 5, 0, 3,
                                     0, rows, 0, nullptr, nullptr),
            CL_SUCCESS);
  const size_t copy_from[3] = {1, 1, 0}, copy_to[3] = {0, 5, 0};
  ASSERT_EQ(clEnqueueCopyBufferRect(queue, buffer, buffer, copy_from, copy_to, region, 5, 0, 5, 0,
                                    0, nullptr, nullptr),
            CL_SUCCESS);
  std::vector<unsigned char> all(bytes.size());
  clEnqueueReadBuffer(queue, buffer, CL_TRUE, 0, all.size(), all.data(), 0, nullptr, nullptr);
  std::vector<unsigned char> expected = bytes;
  for (size_t y = 0; y < 2; ++y) {
    for (size_t x = 0; x < 3; ++x) {
      expected[(1 + y) * 5 + 1 + x] = rows[y * 3 + x];
      expected[(5 + y) * 5 + x] = rows[y * 3 + x];
    }
  }
  EXPECT_EQ(all, expected);

  // The spec's errors: a zero region, a pitch below the row, out of bounds, overlap.
  const size_t empty[3] = {3, 0, 1}, tall[3] = {3, 8, 1};
  EXPECT_EQ(clEnqueueReadBufferRect(queue, buffer, CL_TRUE, origin, host_origin, empty, 5, 0, 4, 0,
                                    host.data(), 0, nullptr, nullptr),
            CL_INVALID_VALUE);
  EXPECT_EQ(clEnqueueReadBufferRect(queue, buffer, CL_TRUE, origin, host_origin, region, 2, 0, 4, 0,
                                    host.data(), 0, nullptr, nullptr),
            CL_INVALID_VALUE);
  EXPECT_EQ(clEnqueueReadBufferRect(queue, buffer, CL_TRUE, origin, host_origin, tall, 5, 0, 4, 0,
                                    host.data(), 0, nullptr, nullptr),
            CL_INVALID_VALUE);
  const size_t near[3] = {2, 2, 0};
  EXPECT_EQ(clEnqueueCopyBufferRect(queue, buffer, buffer, copy_from, near, region, 5, 0, 5, 0, 0,
                                    nullptr, nullptr),
            CL_MEM_COPY_OVERLAP);
  EXPECT_EQ(clEnqueueCopyBufferRect(queue, buffer, buffer, copy_from, copy_to, region, 5, 0, 6, 0,
                                    0, nullptr, nullptr),
            CL_INVALID_VALUE);
  clReleaseMemObject(buffer);
}

// CL_MEM_HOST_* flags bind the host's reads, writes and maps; map flags exclude each
// other as the spec says; 1.2 refuses zero-sized reads and writes.
TEST_F(OpenClBuffers, HostAccessFlagsAndMapFlagsAreEnforced) {
  cl_int err = CL_SUCCESS;
  cl_mem write_only = clCreateBuffer(context, CL_MEM_HOST_WRITE_ONLY, 64, nullptr, &err);
  cl_mem read_only = clCreateBuffer(context, CL_MEM_HOST_READ_ONLY, 64, nullptr, &err);
  cl_mem no_access = clCreateBuffer(context, CL_MEM_HOST_NO_ACCESS, 64, nullptr, &err);
  unsigned char data[64] = {};
  EXPECT_EQ(clEnqueueReadBuffer(queue, write_only, CL_TRUE, 0, 8, data, 0, nullptr, nullptr),
            CL_INVALID_OPERATION);
  EXPECT_EQ(clEnqueueWriteBuffer(queue, write_only, CL_TRUE, 0, 8, data, 0, nullptr, nullptr),
            CL_SUCCESS);
  EXPECT_EQ(clEnqueueWriteBuffer(queue, read_only, CL_TRUE, 0, 8, data, 0, nullptr, nullptr),
            CL_INVALID_OPERATION);
  EXPECT_EQ(clEnqueueReadBuffer(queue, no_access, CL_TRUE, 0, 8, data, 0, nullptr, nullptr),
            CL_INVALID_OPERATION);
  EXPECT_EQ(
      clEnqueueMapBuffer(queue, write_only, CL_TRUE, CL_MAP_READ, 0, 8, 0, nullptr, nullptr, &err),
      nullptr);
  EXPECT_EQ(err, CL_INVALID_OPERATION);
  EXPECT_EQ(
      clEnqueueMapBuffer(queue, read_only, CL_TRUE, CL_MAP_READ | CL_MAP_WRITE_INVALIDATE_REGION, 0,
                         8, 0, nullptr, nullptr, &err),
      nullptr);
  EXPECT_EQ(err, CL_INVALID_VALUE);
  EXPECT_EQ(clEnqueueReadBuffer(queue, read_only, CL_TRUE, 0, 0, data, 0, nullptr, nullptr),
            CL_INVALID_VALUE);
  for (cl_mem b : {write_only, read_only, no_access}) clReleaseMemObject(b);
}

// A deferred launch runs with the arguments it was enqueued with, after the gate.
TEST_F(OpenClBuffers, DeferredKernelsKeepTheirArguments) {
  cl_int err = CL_SUCCESS;
  cl_program program =
      clCreateProgramWithBuiltInKernels(context, 1, &device, "tessera_gemm_s8s32", &err);
  cl_kernel kernel = clCreateKernel(program, "tessera_gemm_s8s32", &err);
  const signed char a[2] = {3, -2}, w[2] = {5, 7};
  cl_mem a_buffer =
      clCreateBuffer(context, CL_MEM_COPY_HOST_PTR, 2, const_cast<signed char*>(a), &err);
  cl_mem w_buffer =
      clCreateBuffer(context, CL_MEM_COPY_HOST_PTR, 2, const_cast<signed char*>(w), &err);
  cl_mem c_buffer = clCreateBuffer(context, CL_MEM_READ_WRITE, 4, nullptr, &err);
  const cl_uint one = 1, two = 2;
  clSetKernelArg(kernel, 0, sizeof(cl_mem), &a_buffer);
  clSetKernelArg(kernel, 1, sizeof(cl_mem), &w_buffer);
  clSetKernelArg(kernel, 2, sizeof(cl_mem), &c_buffer);
  clSetKernelArg(kernel, 3, sizeof one, &one);
  clSetKernelArg(kernel, 4, sizeof one, &one);
  clSetKernelArg(kernel, 5, sizeof two, &two);
  cl_event gate = clCreateUserEvent(context, &err);
  ASSERT_EQ(clEnqueueTask(queue, kernel, 1, &gate, nullptr), CL_SUCCESS);
  clSetKernelArg(kernel, 5, sizeof one, &one);  // after the launch: not its K
  clSetUserEventStatus(gate, CL_COMPLETE);
  cl_int c = 0;
  ASSERT_EQ(clEnqueueReadBuffer(queue, c_buffer, CL_TRUE, 0, 4, &c, 0, nullptr, nullptr),
            CL_SUCCESS);
  EXPECT_EQ(c, 3 * 5 + -2 * 7);  // K = 2, as enqueued
  for (cl_mem b : {a_buffer, w_buffer, c_buffer}) clReleaseMemObject(b);
  clReleaseEvent(gate);
  clReleaseKernel(kernel);
  clReleaseProgram(program);
}

// A blocking read behind a user event waits, with the API free, until another
// thread sets the event.
TEST_F(OpenClBuffers, BlockingCallsWaitForAUserEventSetByAnotherThread) {
  cl_int err = CL_SUCCESS;
  const unsigned char bytes[4] = {7, 8, 9, 10};
  cl_mem buffer = clCreateBuffer(context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, 4,
                                 const_cast<unsigned char*>(bytes), &err);
  cl_event gate = clCreateUserEvent(context, &err);
  std::thread setter([gate] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    clSetUserEventStatus(gate, CL_COMPLETE);
  });
  unsigned char got[4] = {};
  EXPECT_EQ(clEnqueueReadBuffer(queue, buffer, CL_TRUE, 0, 4, got, 1, &gate, nullptr), CL_SUCCESS);
  setter.join();
  EXPECT_EQ(std::memcmp(got, bytes, 4), 0);
  clReleaseEvent(gate);
  clReleaseMemObject(buffer);
}

}  // namespace
}  // namespace tessera::testing
