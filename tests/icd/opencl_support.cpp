#include "opencl_support.hpp"

#include <gtest/gtest.h>

namespace tessera::testing {

cl_platform_id tessera_platform() {
  cl_uint count = 0;
  EXPECT_EQ(clGetPlatformIDs(0, nullptr, &count), CL_SUCCESS);
  std::vector<cl_platform_id> platforms(count);
  if (count > 0) clGetPlatformIDs(count, platforms.data(), nullptr);
  for (cl_platform_id p : platforms) {
    char name[256] = {};
    clGetPlatformInfo(p, CL_PLATFORM_NAME, sizeof name, name, nullptr);
    if (std::string(name).find("tessera") != std::string::npos) return p;
  }
  ADD_FAILURE() << "no tessera platform among " << count
                << " (is OCL_ICD_VENDORS the build's etc/OpenCL/vendors?)";
  return nullptr;
}

std::vector<cl_device_id> tessera_devices() {
  cl_platform_id platform = tessera_platform();
  if (platform == nullptr) return {};
  cl_uint count = 0;
  clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, nullptr, &count);
  std::vector<cl_device_id> devices(count);
  clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, count, devices.data(), nullptr);
  return devices;
}

std::string device_name(cl_device_id device) {
  char name[256] = {};
  clGetDeviceInfo(device, CL_DEVICE_NAME, sizeof name, name, nullptr);
  return name;
}

cl_device_id tessera_device(const std::string& name) {
  for (cl_device_id d : tessera_devices()) {
    if (device_name(d).find(name) != std::string::npos) return d;
  }
  ADD_FAILURE() << "no tessera device named '" << name << "'";
  return nullptr;
}

}  // namespace tessera::testing
