#pragma once

// What the ICD tests share: they use only the standard OpenCL API through the ICD
// loader, as any OpenCL program would.
#define CL_TARGET_OPENCL_VERSION 300
// clEnqueueTask is deprecated since OpenCL 2.0; the built-in kernel supports it.
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>

#include <cstdint>
#include <initializer_list>
#include <random>
#include <string>
#include <vector>

namespace tessera::testing {

// The platform whose name contains "tessera" (fails the test if there is none).
cl_platform_id tessera_platform();
std::vector<cl_device_id> tessera_devices();
std::string device_name(cl_device_id device);
// The device whose name contains `name` ("kv260 (tlm)").
cl_device_id tessera_device(const std::string& name);

// A read-write buffer of `bytes`, holding a copy of `data` unless it is null (fails
// the test if it cannot be made).
cl_mem new_buffer(cl_context context, std::size_t bytes, const void* data = nullptr);
// Sets a built-in kernel's buffer and then cl_uint arguments and enqueues it as a
// task; returns the enqueue's status.
cl_int run_task(cl_command_queue queue, cl_kernel kernel, std::initializer_list<cl_mem> buffers,
                std::initializer_list<cl_uint> values, cl_event* event = nullptr);
// `n` bytes drawn uniformly from -128..127.
std::vector<std::int8_t> random_bytes(std::size_t n, std::mt19937& rng);
// A string-valued clGetDeviceInfo answer (tessera's JSON queries).
std::string device_info_text(cl_device_id device, cl_device_info param);

}  // namespace tessera::testing
