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

cl_mem new_buffer(cl_context context, std::size_t bytes, const void* data) {
  cl_int err = CL_SUCCESS;
  cl_mem b = clCreateBuffer(context, data ? CL_MEM_COPY_HOST_PTR : CL_MEM_READ_WRITE, bytes,
                            const_cast<void*>(data), &err);
  EXPECT_EQ(err, CL_SUCCESS);
  return b;
}

cl_int run_task(cl_command_queue queue, cl_kernel kernel, std::initializer_list<cl_mem> buffers,
                std::initializer_list<cl_uint> values, cl_event* event) {
  cl_uint i = 0;
  for (cl_mem m : buffers) EXPECT_EQ(clSetKernelArg(kernel, i++, sizeof(cl_mem), &m), CL_SUCCESS);
  for (cl_uint v : values) EXPECT_EQ(clSetKernelArg(kernel, i++, sizeof(cl_uint), &v), CL_SUCCESS);
  return clEnqueueTask(queue, kernel, 0, nullptr, event);
}

std::vector<std::int8_t> random_bytes(std::size_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> byte(-128, 127);
  std::vector<std::int8_t> out(n);
  for (auto& x : out) x = static_cast<std::int8_t>(byte(rng));
  return out;
}

std::string device_info_text(cl_device_id device, cl_device_info param) {
  std::size_t size = 0;
  EXPECT_EQ(clGetDeviceInfo(device, param, 0, nullptr, &size), CL_SUCCESS);
  std::string text(size, '\0');
  EXPECT_EQ(clGetDeviceInfo(device, param, size, text.data(), nullptr), CL_SUCCESS);
  if (!text.empty()) text.resize(size - 1);
  return text;
}

}  // namespace tessera::testing
