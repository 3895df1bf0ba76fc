#include "faults/device_faults.hpp"

#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>

#include <stdexcept>
#include <vector>

#include "tessera/icd/cl_ext_tessera.h"

namespace tessera::faults {
namespace {

std::string info_text(cl_platform_id platform, cl_platform_info what) {
  std::size_t size = 0;
  if (clGetPlatformInfo(platform, what, 0, nullptr, &size) != CL_SUCCESS || size == 0) return {};
  std::string text(size, '\0');
  clGetPlatformInfo(platform, what, size, text.data(), nullptr);
  text.resize(size - 1);
  return text;
}

std::string device_text(cl_device_id device, cl_device_info what) {
  std::size_t size = 0;
  if (clGetDeviceInfo(device, what, 0, nullptr, &size) != CL_SUCCESS || size == 0) return {};
  std::string text(size, '\0');
  clGetDeviceInfo(device, what, size, text.data(), nullptr);
  text.resize(size - 1);
  return text;
}

}  // namespace

DeviceFaults::DeviceFaults(const std::string& device_name) {
  cl_uint count = 0;
  clGetPlatformIDs(0, nullptr, &count);
  std::vector<cl_platform_id> platforms(count);
  if (count > 0) clGetPlatformIDs(count, platforms.data(), nullptr);
  for (cl_platform_id platform : platforms) {
    if (info_text(platform, CL_PLATFORM_NAME).find("tessera") == std::string::npos) continue;
    cl_uint devices = 0;
    clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 0, nullptr, &devices);
    std::vector<cl_device_id> ids(devices);
    if (devices > 0) clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, devices, ids.data(), nullptr);
    for (cl_device_id id : ids) {
      if (device_text(id, CL_DEVICE_NAME) != device_name) continue;
      if (device_text(id, CL_DEVICE_EXTENSIONS).find("cl_tessera_faults") == std::string::npos) {
        throw std::runtime_error(device_name + " does not offer cl_tessera_faults");
      }
      device_ = id;
      arm_ = clGetExtensionFunctionAddressForPlatform(platform, "clArmFaultTESSERA");
    }
  }
  if (device_ == nullptr || arm_ == nullptr) {
    throw std::runtime_error("no OpenCL device '" + device_name + "' with cl_tessera_faults");
  }
}

void DeviceFaults::arm(const sim::FaultSpec& spec) {
  if (sim::info(spec.site).on_host) {
    throw std::invalid_argument(sim::to_string(spec.site) +
                                " faults strike the host runtime, not an OpenCL device");
  }
  const auto arm = reinterpret_cast<clArmFaultTESSERA_fn>(arm_);
  const cl_int status = arm(static_cast<cl_device_id>(device_), sim::to_string(spec.site).c_str(),
                            sim::to_string(spec.kind).c_str(), spec.event, spec.seed);
  if (status != CL_SUCCESS) {
    throw std::invalid_argument(
        device_text(static_cast<cl_device_id>(device_), CL_DEVICE_NAME) + " cannot take " +
        sim::to_string(spec.site) + " faults" +
        (status == CL_INVALID_OPERATION
             ? std::string(": this device simulates timing only, no data to strike")
             : " (clArmFaultTESSERA: error " + std::to_string(status) + ")"));
  }
}

void DeviceFaults::disarm() {
  const auto arm = reinterpret_cast<clArmFaultTESSERA_fn>(arm_);
  arm(static_cast<cl_device_id>(device_), nullptr, nullptr, 0, 0);
}

nlohmann::json DeviceFaults::record() const {
  const std::string text =
      device_text(static_cast<cl_device_id>(device_), CL_DEVICE_FAULT_JSON_TESSERA);
  if (text.empty()) throw std::runtime_error("the device did not answer its fault query");
  return nlohmann::json::parse(text);
}

}  // namespace tessera::faults
