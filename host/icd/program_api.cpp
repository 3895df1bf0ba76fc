// Built-in-kernel programs and kernels.
#include <algorithm>
#include <cstring>
#include <sstream>

#include "icd/util.hpp"

using namespace tessera::icd;

namespace tessera::icd {

void release_program(cl_program program) {
  if (--program->references != 0) return;
  program->alive = false;
  release_context(program->context);
}

void release_kernel(cl_kernel kernel) {
  if (--kernel->references != 0) return;
  kernel->alive = false;
  std::vector<_cl_kernel::Arg>().swap(kernel->args);  // the object itself stays known
  release_program(kernel->program);
}

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

// Every device of the list is one of ours and in the context.
bool all_in_context(cl_context context, cl_uint count, const cl_device_id* list) {
  return std::all_of(list, list + count,
                     [&](cl_device_id d) { return valid(d) && in_context(context, d); });
}

// Why a program from source does not build (the build log and pfn_notify say it).
constexpr const char* kNoCompiler =
    "tessera devices have no OpenCL C compiler: use their built-in kernels "
    "(clCreateProgramWithBuiltInKernels)";

cl_program new_program(cl_context context, std::vector<cl_device_id> devices,
                       std::vector<std::string> kernel_names) {
  auto* program = new _cl_program{};
  program->dispatch = dispatch_table();
  program->context = context;
  program->devices = std::move(devices);
  program->kernel_names = std::move(kernel_names);
  ++context->references;
  track(program);
  return program;
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
  if (!all_in_context(context, count, list)) {
    return set_error(errcode_ret, CL_INVALID_DEVICE), nullptr;
  }
  const std::vector<std::string> names = split_names(kernel_names);
  if (names.empty()) return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  for (const std::string& name : names) {
    if (find_built_in(name) == nullptr) return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  }
  set_error(errcode_ret, CL_SUCCESS);
  return new_program(context, {list, list + count}, names);
}

cl_program CL_API_CALL clCreateProgramWithSource(cl_context context, cl_uint count,
                                                 const char** strings, const size_t* lengths,
                                                 cl_int* errcode_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(context)) return set_error(errcode_ret, CL_INVALID_CONTEXT), nullptr;
  if (count == 0 || strings == nullptr) return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  std::string source;
  for (cl_uint i = 0; i < count; ++i) {
    if (strings[i] == nullptr) return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
    const bool terminated = lengths == nullptr || lengths[i] == 0;
    source.append(strings[i], terminated ? std::strlen(strings[i]) : lengths[i]);
  }
  cl_program program = new_program(context, context->devices, {});
  program->from_source = true;
  program->source = std::move(source);
  program->build_status = CL_BUILD_NONE;
  set_error(errcode_ret, CL_SUCCESS);
  return program;
}

// tessera has no binary format: every binary is one the devices cannot load.
cl_program CL_API_CALL clCreateProgramWithBinary(cl_context context, cl_uint count,
                                                 const cl_device_id* list, const size_t* lengths,
                                                 const unsigned char** binaries,
                                                 cl_int* binary_status, cl_int* errcode_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(context)) return set_error(errcode_ret, CL_INVALID_CONTEXT), nullptr;
  if (count == 0 || list == nullptr) return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  if (!all_in_context(context, count, list)) {
    return set_error(errcode_ret, CL_INVALID_DEVICE), nullptr;
  }
  if (lengths == nullptr || binaries == nullptr) {
    return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  }
  for (cl_uint i = 0; i < count; ++i) {
    if (lengths[i] == 0 || binaries[i] == nullptr) {
      if (binary_status != nullptr) binary_status[i] = CL_INVALID_VALUE;
      return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
    }
  }
  for (cl_uint i = 0; i < count && binary_status != nullptr; ++i) {
    binary_status[i] = CL_INVALID_BINARY;
  }
  return set_error(errcode_ret, CL_INVALID_BINARY), nullptr;
}

namespace {

using BuildNotify = void(CL_CALLBACK*)(cl_program, void*);

// The checks clBuildProgram and clCompileProgram share: the program and its device
// list; then a program from source fails for want of a compiler.
cl_int check_build(cl_program program, cl_uint count, const cl_device_id* list, BuildNotify notify,
                   void* user_data) {
  if (!valid(program)) return CL_INVALID_PROGRAM;
  if ((count == 0) != (list == nullptr)) return CL_INVALID_VALUE;
  if (notify == nullptr && user_data != nullptr) return CL_INVALID_VALUE;
  for (cl_uint i = 0; i < count; ++i) {
    if (std::find(program->devices.begin(), program->devices.end(), list[i]) ==
        program->devices.end()) {
      return CL_INVALID_DEVICE;
    }
  }
  if (!program->from_source) return CL_SUCCESS;
  program->build_status = CL_BUILD_ERROR;
  return fail(program->context, CL_COMPILER_NOT_AVAILABLE, kNoCompiler);
}

}  // namespace

// Built-in kernels need no build; the call checks its arguments and succeeds.
cl_int CL_API_CALL clBuildProgram(cl_program program, cl_uint count, const cl_device_id* list,
                                  const char* options, BuildNotify notify, void* user_data) {
  std::lock_guard lock(api_mutex());
  if (const cl_int e = check_build(program, count, list, notify, user_data); e != CL_SUCCESS) {
    return e;
  }
  program->build_options = options == nullptr ? "" : options;
  if (notify != nullptr) notify(program, user_data);
  return CL_SUCCESS;
}

// Only a program from source can be compiled (CL_INVALID_OPERATION for built-in
// kernels, as for any program without source), and tessera has no compiler.
cl_int CL_API_CALL clCompileProgram(cl_program program, cl_uint count, const cl_device_id* list,
                                    const char*, cl_uint headers, const cl_program* header_programs,
                                    const char** header_names, BuildNotify notify,
                                    void* user_data) {
  std::lock_guard lock(api_mutex());
  if (!valid(program)) return CL_INVALID_PROGRAM;
  if ((headers == 0) != (header_programs == nullptr) ||
      (headers == 0) != (header_names == nullptr)) {
    return CL_INVALID_VALUE;
  }
  if (const cl_int e = check_build(program, count, list, notify, user_data); e != CL_SUCCESS) {
    return e;
  }
  return CL_INVALID_OPERATION;
}

cl_program CL_API_CALL clLinkProgram(cl_context context, cl_uint count, const cl_device_id* list,
                                     const char*, cl_uint inputs, const cl_program* input_programs,
                                     BuildNotify notify, void* user_data, cl_int* errcode_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(context)) return set_error(errcode_ret, CL_INVALID_CONTEXT), nullptr;
  if ((count == 0) != (list == nullptr) || inputs == 0 || input_programs == nullptr ||
      (notify == nullptr && user_data != nullptr)) {
    return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  }
  if (!all_in_context(context, count, list)) {
    return set_error(errcode_ret, CL_INVALID_DEVICE), nullptr;
  }
  for (cl_uint i = 0; i < inputs; ++i) {
    if (!valid(input_programs[i])) return set_error(errcode_ret, CL_INVALID_PROGRAM), nullptr;
  }
  fail(context, CL_LINKER_NOT_AVAILABLE, "tessera devices have no OpenCL C linker");
  return set_error(errcode_ret, CL_LINKER_NOT_AVAILABLE), nullptr;
}

// Nothing to unload: there is no compiler.
cl_int CL_API_CALL clUnloadPlatformCompiler(cl_platform_id platform) {
  std::lock_guard lock(api_mutex());
  return valid(platform) ? CL_SUCCESS : CL_INVALID_PLATFORM;
}

cl_int CL_API_CALL clUnloadCompiler() { return CL_SUCCESS; }

cl_int CL_API_CALL clRetainProgram(cl_program program) {
  std::lock_guard lock(api_mutex());
  if (!valid(program)) return CL_INVALID_PROGRAM;
  ++program->references;
  return CL_SUCCESS;
}

cl_int CL_API_CALL clReleaseProgram(cl_program program) {
  std::lock_guard lock(api_mutex());
  if (!valid(program)) return CL_INVALID_PROGRAM;
  release_program(program);
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
      if (program->from_source) return CL_INVALID_PROGRAM_EXECUTABLE;
      return info_value(program->kernel_names.size(), size, value, size_ret);
    case CL_PROGRAM_KERNEL_NAMES:
      if (program->from_source) return CL_INVALID_PROGRAM_EXECUTABLE;
      return info_string(names, size, value, size_ret);
    case CL_PROGRAM_SOURCE:
      return info_string(program->source, size, value, size_ret);
    case CL_PROGRAM_BINARY_SIZES:  // no binaries: 0 bytes for each device
      return info_vector(std::vector<size_t>(program->devices.size(), 0), size, value, size_ret);
    case CL_PROGRAM_BINARIES: {
      // The caller's array of pointers to buffers of the sizes above (0 bytes): the
      // size is checked, nothing is copied.
      const size_t bytes = program->devices.size() * sizeof(unsigned char*);
      if (value != nullptr && size < bytes) return CL_INVALID_VALUE;
      if (size_ret != nullptr) *size_ret = bytes;
      return CL_SUCCESS;
    }
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
      return info_value(program->build_status, size, value, size_ret);
    case CL_PROGRAM_BUILD_OPTIONS:
      return info_string(program->build_options, size, value, size_ret);
    case CL_PROGRAM_BUILD_LOG:
      return info_string(program->build_status == CL_BUILD_ERROR ? kNoCompiler : "", size, value,
                         size_ret);
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
  if (program->from_source) {
    return set_error(errcode_ret, CL_INVALID_PROGRAM_EXECUTABLE), nullptr;
  }
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
  if (program->from_source) return CL_INVALID_PROGRAM_EXECUTABLE;
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
  release_kernel(kernel);
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
  const cl_program program = kernel->program;
  if (device == nullptr ? program->devices.size() != 1
                        : std::find(program->devices.begin(), program->devices.end(), device) ==
                              program->devices.end()) {
    return CL_INVALID_DEVICE;
  }
  const std::vector<size_t> compile_size = {0, 0, 0};
  const std::vector<size_t> global_size = {1, 1, 1};  // built-in kernels run one work-item
  switch (param) {
    case CL_KERNEL_GLOBAL_WORK_SIZE:
      return info_vector(global_size, size, value, size_ret);
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
TESSERA_ICD_ENTRY(clCreateProgramWithSource)
TESSERA_ICD_ENTRY(clCreateProgramWithBinary)
TESSERA_ICD_ENTRY(clBuildProgram)
TESSERA_ICD_ENTRY(clCompileProgram)
TESSERA_ICD_ENTRY(clLinkProgram)
TESSERA_ICD_ENTRY(clUnloadPlatformCompiler)
TESSERA_ICD_ENTRY(clUnloadCompiler)
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
