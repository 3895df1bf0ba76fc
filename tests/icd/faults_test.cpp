// cl_tessera_faults from an independent OpenCL program: a GEMM engine fault armed
// through clArmFaultTESSERA on a device with checksums, the kernel's event ending in
// CL_CHECKSUM_MISMATCH_TESSERA, the fault's record, and the same kernel run again
// matching the nested-loop int8 reference (models/int8_reference).
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>

#include "opencl_support.hpp"
#include "tessera/icd/cl_ext_tessera.h"
#include "tessera/models/int8_reference.hpp"

namespace tessera::testing {
namespace {

// The ICD lists the configuration files of $TESSERA_DEVICES when it first enumerates
// its devices; this one is kv260 with checksums (written by tests/icd/CMakeLists.txt).
const bool device_listed = [] {
  setenv("TESSERA_DEVICES", TESSERA_CHECKSUM_CONFIG, 0);
  return true;
}();

constexpr cl_uint kN = 48, kK = 96;

struct Session {
  explicit Session(const char* name) : device(tessera_device(name)) {
    cl_int err = CL_SUCCESS;
    context = clCreateContext(nullptr, 1, &device, nullptr, nullptr, &err);
    EXPECT_EQ(err, CL_SUCCESS);
    queue = clCreateCommandQueueWithProperties(context, device, nullptr, &err);
    EXPECT_EQ(err, CL_SUCCESS);
    program = clCreateProgramWithBuiltInKernels(
        context, 1, &device, "tessera_pack_weights_s8;tessera_gemm_packed_s8s32", &err);
    EXPECT_EQ(err, CL_SUCCESS);
    pack = clCreateKernel(program, "tessera_pack_weights_s8", &err);
    gemm = clCreateKernel(program, "tessera_gemm_packed_s8s32", &err);
    EXPECT_EQ(err, CL_SUCCESS);
    arm = reinterpret_cast<clArmFaultTESSERA_fn>(
        clGetExtensionFunctionAddressForPlatform(tessera_platform(), "clArmFaultTESSERA"));
  }
  ~Session() {
    for (cl_mem b : buffers) clReleaseMemObject(b);
    clReleaseKernel(pack);
    clReleaseKernel(gemm);
    clReleaseProgram(program);
    clReleaseCommandQueue(queue);
    clReleaseContext(context);
  }
  cl_mem buffer(std::size_t bytes, const void* data = nullptr) {
    return buffers.emplace_back(new_buffer(context, bytes, data));
  }
  cl_int task(cl_kernel k, std::initializer_list<cl_mem> mems,
              std::initializer_list<cl_uint> values, cl_event* event = nullptr) {
    return run_task(queue, k, mems, values, event);
  }
  nlohmann::json fault() const {
    return nlohmann::json::parse(device_info_text(device, CL_DEVICE_FAULT_JSON_TESSERA));
  }

  cl_device_id device;
  cl_context context = nullptr;
  cl_command_queue queue = nullptr;
  cl_program program = nullptr;
  cl_kernel pack = nullptr, gemm = nullptr;
  clArmFaultTESSERA_fn arm = nullptr;
  std::vector<cl_mem> buffers;
};

cl_int event_status(cl_event event) {
  cl_int status = 0;
  EXPECT_EQ(
      clGetEventInfo(event, CL_EVENT_COMMAND_EXECUTION_STATUS, sizeof status, &status, nullptr),
      CL_SUCCESS);
  return status;
}

// One row runs in vector mode, submitted with the device's next run: the kernel's
// event and the read that waits for it end in the error. Four rows run as a matrix
// job within the launch, which returns it.
TEST(IcdFaults, AStruckAccumulatorFailsItsKernelAndTheRerunIsExact) {
  ASSERT_TRUE(device_listed);
  Session s("kv260-checksums (tlm)");
  ASSERT_NE(s.arm, nullptr);
  std::mt19937 rng(17);
  const auto w = random_bytes(std::size_t{kN} * kK, rng);
  cl_mem packed = s.buffer((kN + 31) / 32 * 32 * kK);
  ASSERT_EQ(s.task(s.pack, {s.buffer(w.size(), w.data()), packed}, {kN, kK}), CL_SUCCESS);
  EXPECT_TRUE(s.fault().is_null());
  for (const cl_uint m : {1u, 4u}) {
    const auto x = random_bytes(m * kK, rng);
    const std::vector<std::int32_t> expected =
        models::int8_reference::gemm(x, w, static_cast<int>(m), kN, kK);
    cl_mem a = s.buffer(x.size(), x.data()), out = s.buffer(4 * expected.size());
    std::vector<std::int32_t> result(expected.size());
    auto read = [&] {
      return clEnqueueReadBuffer(s.queue, out, CL_TRUE, 0, 4 * result.size(), result.data(), 0,
                                 nullptr, nullptr);
    };

    ASSERT_EQ(s.arm(s.device, "accumulator", "flip", 0, 99), CL_SUCCESS);
    cl_event kernel = nullptr;
    if (m == 1) {
      ASSERT_EQ(s.task(s.gemm, {a, packed, out}, {m, kN, kK}, &kernel), CL_SUCCESS);
      EXPECT_EQ(read(), CL_CHECKSUM_MISMATCH_TESSERA);
      EXPECT_EQ(event_status(kernel), CL_CHECKSUM_MISMATCH_TESSERA);
      clReleaseEvent(kernel);
    } else {
      EXPECT_EQ(s.task(s.gemm, {a, packed, out}, {m, kN, kK}), CL_CHECKSUM_MISMATCH_TESSERA);
    }
    const nlohmann::json record = s.fault();
    EXPECT_EQ(record.at("site"), "accumulator");
    EXPECT_TRUE(record.at("struck").get<bool>()) << record.dump();
    EXPECT_NE(record.at("where").get<std::string>().find("gemm"), std::string::npos);

    // A single event upset: the next run of the same kernel is clean.
    ASSERT_EQ(s.task(s.gemm, {a, packed, out}, {m, kN, kK}, &kernel), CL_SUCCESS);
    ASSERT_EQ(read(), CL_SUCCESS);
    EXPECT_EQ(event_status(kernel), CL_COMPLETE);
    clReleaseEvent(kernel);
    EXPECT_EQ(result, expected) << m << " row(s)";
  }
  ASSERT_EQ(s.arm(s.device, nullptr, nullptr, 0, 0), CL_SUCCESS);
  EXPECT_TRUE(s.fault().is_null());
}

TEST(IcdFaults, ArmingRefusesWhatTheDeviceCannotTake) {
  ASSERT_TRUE(device_listed);
  Session s("kv260 (tlm)");
  ASSERT_NE(s.arm, nullptr);
  EXPECT_EQ(s.arm(s.device, "alu", "flip", 0, 0), CL_INVALID_VALUE);
  EXPECT_EQ(s.arm(s.device, "accumulator", "melt", 0, 0), CL_INVALID_VALUE);
  EXPECT_EQ(s.arm(nullptr, "accumulator", "flip", 0, 0), CL_INVALID_DEVICE);
  Session rtl("kv260 (rtl)");
  // The Verilated engine has fault hooks (for matrix jobs), and faults outside the
  // engine need none.
  EXPECT_EQ(rtl.arm(rtl.device, "accumulator", "flip", 0, 0), CL_SUCCESS);
  EXPECT_EQ(rtl.arm(rtl.device, "host_link", "flip", 0, 0), CL_SUCCESS);
  EXPECT_EQ(rtl.fault().at("site"), "host_link");
  EXPECT_EQ(rtl.arm(rtl.device, nullptr, nullptr, 0, 0), CL_SUCCESS);
}

}  // namespace
}  // namespace tessera::testing
