#pragma once

// What the ICD tests share: they use only the standard OpenCL API through the ICD
// loader, as any OpenCL program would.
#define CL_TARGET_OPENCL_VERSION 300
// clEnqueueTask is deprecated since OpenCL 2.0; the built-in kernel supports it.
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>

#include <string>
#include <vector>

namespace tessera::testing {

// The platform whose name contains "tessera" (fails the test if there is none).
cl_platform_id tessera_platform();
std::vector<cl_device_id> tessera_devices();
std::string device_name(cl_device_id device);
// The device whose name contains `name` ("kv260 (tlm)").
cl_device_id tessera_device(const std::string& name);

}  // namespace tessera::testing
