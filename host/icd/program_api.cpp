// Built-in-kernel programs and kernels.
#include <algorithm>
#include <sstream>

#include "icd/util.hpp"

using namespace tessera::icd;

namespace tessera::icd {

const BuiltInKernel* find_built_in(const std::string& name) {
  for (const BuiltInKernel& k : built_in_kernels()) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

std::string built_in_kernel_list() {
  std::string list;
  for (const BuiltInKernel& k : built_in_kernels())
    list += (list.empty() ? "" : ";") + std::string(k.name);
  return list;
}

}  // namespace tessera::icd

namespace {

std::vector<std::string> split_names(const char* names) {
  std::vector<std::string> out;
  std::stringstream in(names);
  for (std::string name; std::getline(in, name, ';');) {
    name.erase(0, name.find_first_not_of(" \t"));
    name.erase(name.find_last_not_of(" \t") + 1);
    out.push_back(name);
  }
  return out;
}

bool in_context(cl_context context, cl_device_id device) {
  return std::find(context->devices.begin(), context->devices.end(), device) !=
         context->devices.end();
}

}  // namespace

namespace tessera::icd::api {

cl_program CL_API_CALL clCreateProgramWithBuiltInKernels(cl_context context, cl_uint count,
                                                         const cl_device_id* list,
                                                         const char* kernel_names,
                                                         cl_int* errcode_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(context)) return set_error(errcode_ret, CL_INVALID_CONTEXT), nullptr;
  if (count == 0 || list == nullptr || kernel_names == nullptr) {
    return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  }
  for (cl_uint i = 0; i < count; ++i) {
    if (!valid(list[i]) || !in_context(context, list[i])) {
      return set_error(errcode_ret, CL_INVALID_DEVICE), nullptr;
    }
  }
  const std::vector<std::string> names = split_names(kernel_names);
  if (names.empty()) return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  for (const std::string& name : names) {
    if (find_built_in(name) == nullptr) return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  }
  auto* program = new _cl_program{};
  program->dispatch = dispatch_table();
  program->context = context;
  program->devices.assign(list, list + count);
  program->kernel_names = names;
  ++context->references;
  track(program);
  set_error(errcode_ret, CL_SUCCESS);
  return program;
}

// Built-in kernels need no build; the call checks its arguments and succeeds.
cl_int CL_API_CALL clBuildProgram(cl_program program, cl_uint count, const cl_device_id* list,
                                  const char*, void(CL_CALLBACK* notify)(cl_program, void*),
                                  void* user_data) {
  std::lock_guard lock(api_mutex());
  if (!valid(program)) return CL_INVALID_PROGRAM;
  if ((count == 0) != (list == nullptr)) return CL_INVALID_VALUE;
  for (cl_uint i = 0; i < count; ++i) {
    if (std::find(program->devices.begin(), program->devices.end(), list[i]) ==
        program->devices.end()) {
      return CL_INVALID_DEVICE;
    }
  }
  if (notify != nullptr) notify(program, user_data);
  return CL_SUCCESS;
}

cl_int CL_API_CALL clRetainProgram(cl_program program) {
  std::lock_guard lock(api_mutex());
  if (!valid(program)) return CL_INVALID_PROGRAM;
  ++program->references;
  return CL_SUCCESS;
}

cl_int CL_API_CALL clReleaseProgram(cl_program program) {
  std::lock_guard lock(api_mutex());
  if (!valid(program)) return CL_INVALID_PROGRAM;
  if (--program->references == 0) {
    program->alive = false;
    if (--program->context->references == 0) program->context->alive = false;
  }
  return CL_SUCCESS;
}

cl_int CL_API_CALL clGetProgramInfo(cl_program program, cl_program_info param, size_t size,
                                    void* value, size_t* size_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(program)) return CL_INVALID_PROGRAM;
  std::string names;
  for (const std::string& n : program->kernel_names) names += (names.empty() ? "" : ";") + n;
  switch (param) {
    case CL_PROGRAM_REFERENCE_COUNT:
      return info_value(program->references, size, value, size_ret);
    case CL_PROGRAM_CONTEXT:
      return info_value(program->context, size, value, size_ret);
    case CL_PROGRAM_NUM_DEVICES:
      return info_value(static_cast<cl_uint>(program->devices.size()), size, value, size_ret);
    case CL_PROGRAM_DEVICES:
      return info_vector(program->devices, size, value, size_ret);
    case CL_PROGRAM_NUM_KERNELS:
      return info_value(program->kernel_names.size(), size, value, size_ret);
    case CL_PROGRAM_KERNEL_NAMES:
      return info_string(names, size, value, size_ret);
    case CL_PROGRAM_SOURCE:
      return info_string("", size, value, size_ret);
    default:
      return CL_INVALID_VALUE;
  }
}

cl_int CL_API_CALL clGetProgramBuildInfo(cl_program program, cl_device_id device,
                                         cl_program_build_info param, size_t size, void* value,
                                         size_t* size_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(program)) return CL_INVALID_PROGRAM;
  if (std::find(program->devices.begin(), program->devices.end(), device) ==
      program->devices.end()) {
    return CL_INVALID_DEVICE;
  }
  switch (param) {
    case CL_PROGRAM_BUILD_STATUS:
      return info_value(cl_build_status{CL_BUILD_SUCCESS}, size, value, size_ret);
    case CL_PROGRAM_BUILD_OPTIONS:
    case CL_PROGRAM_BUILD_LOG:
      return info_string("", size, value, size_ret);
    case CL_PROGRAM_BINARY_TYPE:
      return info_value(cl_program_binary_type{CL_PROGRAM_BINARY_TYPE_NONE}, size, value, size_ret);
    default:
      return CL_INVALID_VALUE;
  }
}

namespace {

cl_kernel new_kernel(cl_program program, const BuiltInKernel& built_in) {
  auto* kernel = new _cl_kernel{};
  kernel->dispatch = dispatch_table();
  kernel->program = program;
  kernel->name = built_in.name;
  kernel->args.resize(built_in.arguments);
  ++program->references;
  track(kernel);
  return kernel;
}

}  // namespace

cl_kernel CL_API_CALL clCreateKernel(cl_program program, const char* name, cl_int* errcode_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(program)) return set_error(errcode_ret, CL_INVALID_PROGRAM), nullptr;
  if (name == nullptr) return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  const auto& names = program->kernel_names;
  if (std::find(names.begin(), names.end(), name) == names.end()) {
    return set_error(errcode_ret, CL_INVALID_KERNEL_NAME), nullptr;
  }
  set_error(errcode_ret, CL_SUCCESS);
  return new_kernel(program, *find_built_in(name));
}

cl_int CL_API_CALL clCreateKernelsInProgram(cl_program program, cl_uint count, cl_kernel* kernels,
                                            cl_uint* count_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(program)) return CL_INVALID_PROGRAM;
  const auto total = static_cast<cl_uint>(program->kernel_names.size());
  if (kernels != nullptr && count < total) return CL_INVALID_VALUE;
  if (kernels != nullptr) {
    for (cl_uint i = 0; i < total; ++i) {
      kernels[i] = new_kernel(program, *find_built_in(program->kernel_names[i]));
    }
  }
  if (count_ret != nullptr) *count_ret = total;
  return CL_SUCCESS;
}

cl_int CL_API_CALL clRetainKernel(cl_kernel kernel) {
  std::lock_guard lock(api_mutex());
  if (!valid(kernel)) return CL_INVALID_KERNEL;
  ++kernel->references;
  return CL_SUCCESS;
}

cl_int CL_API_CALL clReleaseKernel(cl_kernel kernel) {
  std::lock_guard lock(api_mutex());
  if (!valid(kernel)) return CL_INVALID_KERNEL;
  if (--kernel->references == 0) {
    kernel->alive = false;
    cl_program program = kernel->program;
    if (--program->references == 0) {
      program->alive = false;
      if (--program->context->references == 0) program->context->alive = false;
    }
  }
  return CL_SUCCESS;
}

cl_int CL_API_CALL clSetKernelArg(cl_kernel kernel, cl_uint index, size_t size, const void* value) {
  std::lock_guard lock(api_mutex());
  if (!valid(kernel)) return CL_INVALID_KERNEL;
  if (index >= kernel->args.size()) return CL_INVALID_ARG_INDEX;
  const BuiltInKernel& built_in = *find_built_in(kernel->name);
  _cl_kernel::Arg& arg = kernel->args[index];
  if (index < built_in.buffer_arguments) {
    if (size != sizeof(cl_mem)) return CL_INVALID_ARG_SIZE;
    const cl_mem buffer = value == nullptr ? nullptr : *static_cast<const cl_mem*>(value);
    if (buffer != nullptr && (!valid(buffer) || buffer->context != kernel->program->context)) {
      return CL_INVALID_MEM_OBJECT;
    }
    arg = {true, buffer, 0};
  } else {
    if (size != sizeof(cl_uint)) return CL_INVALID_ARG_SIZE;
    if (value == nullptr) return CL_INVALID_ARG_VALUE;
    arg = {true, nullptr, *static_cast<const cl_uint*>(value)};
  }
  return CL_SUCCESS;
}

cl_int CL_API_CALL clGetKernelInfo(cl_kernel kernel, cl_kernel_info param, size_t size, void* value,
                                   size_t* size_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(kernel)) return CL_INVALID_KERNEL;
  switch (param) {
    case CL_KERNEL_FUNCTION_NAME:
      return info_string(kernel->name, size, value, size_ret);
    case CL_KERNEL_NUM_ARGS:
      return info_value(static_cast<cl_uint>(kernel->args.size()), size, value, size_ret);
    case CL_KERNEL_REFERENCE_COUNT:
      return info_value(kernel->references, size, value, size_ret);
    case CL_KERNEL_CONTEXT:
      return info_value(kernel->program->context, size, value, size_ret);
    case CL_KERNEL_PROGRAM:
      return info_value(kernel->program, size, value, size_ret);
    case CL_KERNEL_ATTRIBUTES:
      return info_string("", size, value, size_ret);
    default:
      return CL_INVALID_VALUE;
  }
}

cl_int CL_API_CALL clGetKernelWorkGroupInfo(cl_kernel kernel, cl_device_id device,
                                            cl_kernel_work_group_info param, size_t size,
                                            void* value, size_t* size_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(kernel)) return CL_INVALID_KERNEL;
  if (device != nullptr && !in_context(kernel->program->context, device)) return CL_INVALID_DEVICE;
  const std::vector<size_t> compile_size = {0, 0, 0};
  switch (param) {
    case CL_KERNEL_WORK_GROUP_SIZE:
    case CL_KERNEL_PREFERRED_WORK_GROUP_SIZE_MULTIPLE:
      return info_value(size_t{1}, size, value, size_ret);
    case CL_KERNEL_COMPILE_WORK_GROUP_SIZE:
      return info_vector(compile_size, size, value, size_ret);
    case CL_KERNEL_LOCAL_MEM_SIZE:
    case CL_KERNEL_PRIVATE_MEM_SIZE:
      return info_value(cl_ulong{0}, size, value, size_ret);
    default:
      return CL_INVALID_VALUE;
  }
}

cl_int CL_API_CALL clGetKernelArgInfo(cl_kernel kernel, cl_uint index, cl_kernel_arg_info, size_t,
                                      void*, size_t*) {
  std::lock_guard lock(api_mutex());
  if (!valid(kernel)) return CL_INVALID_KERNEL;
  if (index >= kernel->args.size()) return CL_INVALID_ARG_INDEX;
  return CL_KERNEL_ARG_INFO_NOT_AVAILABLE;
}

}  // namespace tessera::icd::api

// Dispatch table entries of this file.
TESSERA_ICD_ENTRY(clCreateProgramWithBuiltInKernels)
TESSERA_ICD_ENTRY(clBuildProgram)
TESSERA_ICD_ENTRY(clRetainProgram)
TESSERA_ICD_ENTRY(clReleaseProgram)
TESSERA_ICD_ENTRY(clGetProgramInfo)
TESSERA_ICD_ENTRY(clGetProgramBuildInfo)
TESSERA_ICD_ENTRY(clCreateKernel)
TESSERA_ICD_ENTRY(clCreateKernelsInProgram)
TESSERA_ICD_ENTRY(clRetainKernel)
TESSERA_ICD_ENTRY(clReleaseKernel)
TESSERA_ICD_ENTRY(clSetKernelArg)
TESSERA_ICD_ENTRY(clGetKernelInfo)
TESSERA_ICD_ENTRY(clGetKernelWorkGroupInfo)
TESSERA_ICD_ENTRY(clGetKernelArgInfo)
