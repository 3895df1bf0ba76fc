// Device queries, contexts and command queues.
#include <algorithm>

#include "icd/util.hpp"
#include "tessera/icd/cl_ext_tessera.h"

using namespace tessera::icd;

namespace tessera::icd {

void release_context(cl_context context) {
  if (--context->references == 0) context->alive = false;
}

void release_queue(cl_command_queue queue) {
  if (--queue->references != 0) return;
  queue->alive = false;
  release_context(queue->context);
}

}  // namespace tessera::icd

namespace tessera::icd::api {

cl_int CL_API_CALL clGetDeviceInfo(cl_device_id device, cl_device_info param, size_t size,
                                   void* value, size_t* size_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(device)) return CL_INVALID_DEVICE;
  const hls::HardwareConfig& c = device->config;
  const auto memory = static_cast<cl_ulong>(c.memory.bytes);
  const std::vector<size_t> item_sizes = {1, 1, 1};
  switch (param) {
    case CL_DEVICE_TYPE:
      return info_value(cl_device_type{CL_DEVICE_TYPE_ACCELERATOR}, size, value, size_ret);
    case CL_DEVICE_NAME:
      return info_string(device->name(), size, value, size_ret);
    case CL_DEVICE_VENDOR:
      return info_string("tessera", size, value, size_ret);
    case CL_DEVICE_VENDOR_ID:
      return info_value(cl_uint{0x54535241}, size, value, size_ret);
    case CL_DRIVER_VERSION:
      return info_string("0.1", size, value, size_ret);
    case CL_DEVICE_PROFILE:
      return info_string("EMBEDDED_PROFILE", size, value, size_ret);
    case CL_DEVICE_VERSION:
      return info_string("OpenCL 1.2 tessera", size, value, size_ret);
    case CL_DEVICE_OPENCL_C_VERSION:  // the spec's form: a space after the version
      return info_string("OpenCL C 1.2 tessera", size, value, size_ret);
    case CL_DEVICE_EXTENSIONS:
      return info_string(device_extensions(), size, value, size_ret);
    case CL_DEVICE_BUILT_IN_KERNELS:
      return info_string(built_in_kernel_list(), size, value, size_ret);
    case CL_DEVICE_PLATFORM:
      return info_value(the_platform(), size, value, size_ret);
    case CL_DEVICE_MAX_COMPUTE_UNITS:
      return info_value(static_cast<cl_uint>(c.gemm.count), size, value, size_ret);
    case CL_DEVICE_MAX_CLOCK_FREQUENCY:
      return info_value(static_cast<cl_uint>(c.clock_mhz), size, value, size_ret);
    case CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS:
      return info_value(cl_uint{3}, size, value, size_ret);
    case CL_DEVICE_MAX_WORK_ITEM_SIZES:
      return info_vector(item_sizes, size, value, size_ret);
    case CL_DEVICE_MAX_WORK_GROUP_SIZE:
      return info_value(size_t{1}, size, value, size_ret);
    case CL_DEVICE_ADDRESS_BITS:  // OpenCL knows 32 and 64: the config's width, rounded up
      return info_value(cl_uint{c.address_bits <= 32 ? 32u : 64u}, size, value, size_ret);
    case CL_DEVICE_GLOBAL_MEM_SIZE:
      return info_value(memory, size, value, size_ret);
    case CL_DEVICE_MAX_MEM_ALLOC_SIZE:
      return info_value(memory, size, value, size_ret);
    case CL_DEVICE_GLOBAL_MEM_CACHE_TYPE:
      return info_value(cl_device_mem_cache_type{CL_NONE}, size, value, size_ret);
    case CL_DEVICE_GLOBAL_MEM_CACHELINE_SIZE:
      return info_value(cl_uint{0}, size, value, size_ret);
    case CL_DEVICE_GLOBAL_MEM_CACHE_SIZE:
      return info_value(cl_ulong{0}, size, value, size_ret);
    // The dedicated SRAM of a compute unit: one GEMM unit's A and W operand buffers.
    case CL_DEVICE_LOCAL_MEM_SIZE:
      return info_value(static_cast<cl_ulong>(c.gemm.buffer_words) *
                            static_cast<cl_ulong>(c.gemm.rows + c.gemm.cols),
                        size, value, size_ret);
    case CL_DEVICE_LOCAL_MEM_TYPE:
      return info_value(cl_device_local_mem_type{CL_LOCAL}, size, value, size_ret);
    case CL_DEVICE_MAX_CONSTANT_BUFFER_SIZE:
      return info_value(cl_ulong{1024}, size, value, size_ret);
    case CL_DEVICE_MAX_CONSTANT_ARGS:
      return info_value(cl_uint{4}, size, value, size_ret);
    case CL_DEVICE_MAX_PARAMETER_SIZE:
      return info_value(size_t{256}, size, value, size_ret);
    case CL_DEVICE_MEM_BASE_ADDR_ALIGN:  // in bits
      return info_value(static_cast<cl_uint>(tessera::sim::Platform::kAllocationAlignment * 8),
                        size, value, size_ret);
    case CL_DEVICE_MIN_DATA_TYPE_ALIGN_SIZE:
      return info_value(cl_uint{128}, size, value, size_ret);
    case CL_DEVICE_IMAGE_SUPPORT:
    case CL_DEVICE_ERROR_CORRECTION_SUPPORT:
    case CL_DEVICE_HOST_UNIFIED_MEMORY:
    case CL_DEVICE_COMPILER_AVAILABLE:
    case CL_DEVICE_LINKER_AVAILABLE:
      return info_value(cl_bool{CL_FALSE}, size, value, size_ret);
    case CL_DEVICE_ENDIAN_LITTLE:
    case CL_DEVICE_AVAILABLE:
    case CL_DEVICE_PREFERRED_INTEROP_USER_SYNC:
      return info_value(cl_bool{CL_TRUE}, size, value, size_ret);
    case CL_DEVICE_EXECUTION_CAPABILITIES:
      return info_value(cl_device_exec_capabilities{CL_EXEC_KERNEL}, size, value, size_ret);
    case CL_DEVICE_QUEUE_PROPERTIES:
      return info_value(cl_command_queue_properties{CL_QUEUE_PROFILING_ENABLE}, size, value,
                        size_ret);
    case CL_DEVICE_PROFILING_TIMER_RESOLUTION:
      return info_value(size_t{1}, size, value, size_ret);
    case CL_DEVICE_SINGLE_FP_CONFIG:
      return info_value(cl_device_fp_config{CL_FP_ROUND_TO_NEAREST | CL_FP_INF_NAN}, size, value,
                        size_ret);
    case CL_DEVICE_DOUBLE_FP_CONFIG:
    case CL_DEVICE_HALF_FP_CONFIG:
      return info_value(cl_device_fp_config{0}, size, value, size_ret);
    case CL_DEVICE_PREFERRED_VECTOR_WIDTH_CHAR:
    case CL_DEVICE_PREFERRED_VECTOR_WIDTH_SHORT:
    case CL_DEVICE_PREFERRED_VECTOR_WIDTH_INT:
    case CL_DEVICE_PREFERRED_VECTOR_WIDTH_LONG:
    case CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT:
    case CL_DEVICE_NATIVE_VECTOR_WIDTH_CHAR:
    case CL_DEVICE_NATIVE_VECTOR_WIDTH_SHORT:
    case CL_DEVICE_NATIVE_VECTOR_WIDTH_INT:
    case CL_DEVICE_NATIVE_VECTOR_WIDTH_LONG:
    case CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT:
      return info_value(cl_uint{1}, size, value, size_ret);
    case CL_DEVICE_PREFERRED_VECTOR_WIDTH_DOUBLE:
    case CL_DEVICE_PREFERRED_VECTOR_WIDTH_HALF:
    case CL_DEVICE_NATIVE_VECTOR_WIDTH_DOUBLE:
    case CL_DEVICE_NATIVE_VECTOR_WIDTH_HALF:
    case CL_DEVICE_MAX_READ_IMAGE_ARGS:
    case CL_DEVICE_MAX_WRITE_IMAGE_ARGS:
    case CL_DEVICE_MAX_SAMPLERS:
    case CL_DEVICE_PARTITION_MAX_SUB_DEVICES:
    case CL_DEVICE_IMAGE_PITCH_ALIGNMENT:
    case CL_DEVICE_IMAGE_BASE_ADDRESS_ALIGNMENT:
      return info_value(cl_uint{0}, size, value, size_ret);
    case CL_DEVICE_IMAGE2D_MAX_WIDTH:
    case CL_DEVICE_IMAGE2D_MAX_HEIGHT:
    case CL_DEVICE_IMAGE3D_MAX_WIDTH:
    case CL_DEVICE_IMAGE3D_MAX_HEIGHT:
    case CL_DEVICE_IMAGE3D_MAX_DEPTH:
    case CL_DEVICE_IMAGE_MAX_BUFFER_SIZE:
    case CL_DEVICE_IMAGE_MAX_ARRAY_SIZE:
      return info_value(size_t{0}, size, value, size_ret);
    case CL_DEVICE_PRINTF_BUFFER_SIZE:  // the embedded profile's minimum (docs/opencl.md)
      return info_value(size_t{1024}, size, value, size_ret);
    case CL_DEVICE_PARTITION_PROPERTIES:
    case CL_DEVICE_PARTITION_TYPE:
      return info_value(cl_device_partition_property{0}, size, value, size_ret);
    case CL_DEVICE_PARTITION_AFFINITY_DOMAIN:
      return info_value(cl_device_affinity_domain{0}, size, value, size_ret);
    case CL_DEVICE_PARENT_DEVICE:
      return info_value(cl_device_id{nullptr}, size, value, size_ret);
    case CL_DEVICE_REFERENCE_COUNT:
      return info_value(cl_uint{1}, size, value, size_ret);
    case CL_DEVICE_COUNTERS_JSON_TESSERA:
      try {
        device->settle();
        return info_string(tessera::sim::to_json(device->simulator().counters(), -1), size, value,
                           size_ret);
      } catch (const std::exception& e) {
        return error_code(e);
      }
    case CL_DEVICE_FAULT_JSON_TESSERA:
      return api::fault_json(device, size, value, size_ret);
    default:
      return CL_INVALID_VALUE;
  }
}

namespace {

// CL_SUCCESS, or the error for the properties of clCreateContext*: the platform and
// CL_CONTEXT_INTEROP_USER_SYNC (1.2), each at most once.
cl_int check_context_properties(const cl_context_properties* properties) {
  std::vector<cl_context_properties> seen;
  for (const cl_context_properties* p = properties; p != nullptr && *p != 0; p += 2) {
    if (std::find(seen.begin(), seen.end(), p[0]) != seen.end()) return CL_INVALID_PROPERTY;
    seen.push_back(p[0]);
    switch (p[0]) {
      case CL_CONTEXT_PLATFORM:
        if (!valid(reinterpret_cast<cl_platform_id>(p[1]))) return CL_INVALID_PLATFORM;
        break;
      case CL_CONTEXT_INTEROP_USER_SYNC:
        if (p[1] != CL_TRUE && p[1] != CL_FALSE) return CL_INVALID_PROPERTY;
        break;
      default:
        return CL_INVALID_PROPERTY;
    }
  }
  return CL_SUCCESS;
}

using ContextNotify = void(CL_CALLBACK*)(const char*, const void*, size_t, void*);

cl_context new_context(std::vector<cl_device_id> list, const cl_context_properties* properties,
                       ContextNotify notify, void* notify_data) {
  auto* context = new _cl_context{};
  context->dispatch = dispatch_table();
  context->devices = std::move(list);
  for (const cl_context_properties* p = properties; p != nullptr; p += 2) {
    context->properties.push_back(p[0]);
    if (p[0] == 0) break;
    context->properties.push_back(p[1]);
  }
  context->notify = notify;
  context->notify_data = notify_data;
  track(context);
  return context;
}

}  // namespace

cl_context CL_API_CALL clCreateContext(const cl_context_properties* properties, cl_uint count,
                                       const cl_device_id* list, ContextNotify notify,
                                       void* notify_data, cl_int* errcode_ret) {
  std::lock_guard lock(api_mutex());
  if (count == 0 || list == nullptr || (notify == nullptr && notify_data != nullptr)) {
    return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  }
  if (const cl_int e = check_context_properties(properties); e != CL_SUCCESS) {
    return set_error(errcode_ret, e), nullptr;
  }
  for (cl_uint i = 0; i < count; ++i) {
    if (!valid(list[i])) return set_error(errcode_ret, CL_INVALID_DEVICE), nullptr;
  }
  set_error(errcode_ret, CL_SUCCESS);
  return new_context({list, list + count}, properties, notify, notify_data);
}

cl_context CL_API_CALL clCreateContextFromType(const cl_context_properties* properties,
                                               cl_device_type type, ContextNotify notify,
                                               void* notify_data, cl_int* errcode_ret) {
  std::lock_guard lock(api_mutex());
  if (notify == nullptr && notify_data != nullptr) {
    return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  }
  if (const cl_int e = check_context_properties(properties); e != CL_SUCCESS) {
    return set_error(errcode_ret, e), nullptr;
  }
  if (!valid_device_type(type)) return set_error(errcode_ret, CL_INVALID_DEVICE_TYPE), nullptr;
  const std::vector<cl_device_id> matching = devices_of_type(type);
  if (matching.empty()) return set_error(errcode_ret, CL_DEVICE_NOT_FOUND), nullptr;
  set_error(errcode_ret, CL_SUCCESS);
  return new_context(matching, properties, notify, notify_data);
}

cl_int CL_API_CALL clRetainContext(cl_context context) {
  std::lock_guard lock(api_mutex());
  if (!valid(context)) return CL_INVALID_CONTEXT;
  ++context->references;
  return CL_SUCCESS;
}

cl_int CL_API_CALL clReleaseContext(cl_context context) {
  std::lock_guard lock(api_mutex());
  if (!valid(context)) return CL_INVALID_CONTEXT;
  release_context(context);
  return CL_SUCCESS;
}

cl_int CL_API_CALL clGetContextInfo(cl_context context, cl_context_info param, size_t size,
                                    void* value, size_t* size_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(context)) return CL_INVALID_CONTEXT;
  switch (param) {
    case CL_CONTEXT_REFERENCE_COUNT:
      return info_value(context->references, size, value, size_ret);
    case CL_CONTEXT_NUM_DEVICES:
      return info_value(static_cast<cl_uint>(context->devices.size()), size, value, size_ret);
    case CL_CONTEXT_DEVICES:
      return info_vector(context->devices, size, value, size_ret);
    case CL_CONTEXT_PROPERTIES:
      return info_vector(context->properties, size, value, size_ret);
    default:
      return CL_INVALID_VALUE;
  }
}

namespace {

cl_command_queue new_queue(cl_context context, cl_device_id device,
                           cl_command_queue_properties properties, cl_int* errcode_ret) {
  if (!valid(context)) return set_error(errcode_ret, CL_INVALID_CONTEXT), nullptr;
  if (!valid(device) || std::find(context->devices.begin(), context->devices.end(), device) ==
                            context->devices.end()) {
    return set_error(errcode_ret, CL_INVALID_DEVICE), nullptr;
  }
  if ((properties & ~cl_command_queue_properties{CL_QUEUE_PROFILING_ENABLE |
                                                 CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE}) != 0) {
    return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  }
  if ((properties & CL_QUEUE_OUT_OF_ORDER_EXEC_MODE_ENABLE) != 0) {
    return set_error(errcode_ret, CL_INVALID_QUEUE_PROPERTIES), nullptr;  // in order only
  }
  try {
    device->simulator();  // builds the simulated platform on first use
  } catch (const std::exception&) {
    return set_error(errcode_ret, CL_OUT_OF_RESOURCES), nullptr;
  }
  auto* queue = new _cl_command_queue{};
  queue->dispatch = dispatch_table();
  queue->context = context;
  queue->device = device;
  queue->properties = properties;
  ++context->references;
  track(queue);
  set_error(errcode_ret, CL_SUCCESS);
  return queue;
}

}  // namespace

cl_command_queue CL_API_CALL clCreateCommandQueue(cl_context context, cl_device_id device,
                                                  cl_command_queue_properties properties,
                                                  cl_int* errcode_ret) {
  std::lock_guard lock(api_mutex());
  return new_queue(context, device, properties, errcode_ret);
}

cl_command_queue CL_API_CALL
clCreateCommandQueueWithProperties(cl_context context, cl_device_id device,
                                   const cl_queue_properties* properties, cl_int* errcode_ret) {
  std::lock_guard lock(api_mutex());
  cl_command_queue_properties flags = 0;
  for (const cl_queue_properties* p = properties; p != nullptr && *p != 0; p += 2) {
    if (p[0] != CL_QUEUE_PROPERTIES) return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
    flags = static_cast<cl_command_queue_properties>(p[1]);
  }
  return new_queue(context, device, flags, errcode_ret);
}

cl_int CL_API_CALL clRetainCommandQueue(cl_command_queue queue) {
  std::lock_guard lock(api_mutex());
  if (!valid(queue)) return CL_INVALID_COMMAND_QUEUE;
  ++queue->references;
  return CL_SUCCESS;
}

cl_int CL_API_CALL clReleaseCommandQueue(cl_command_queue queue) {
  std::lock_guard lock(api_mutex());
  if (!valid(queue)) return CL_INVALID_COMMAND_QUEUE;
  release_queue(queue);
  return CL_SUCCESS;
}

cl_int CL_API_CALL clGetCommandQueueInfo(cl_command_queue queue, cl_command_queue_info param,
                                         size_t size, void* value, size_t* size_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(queue)) return CL_INVALID_COMMAND_QUEUE;
  switch (param) {
    case CL_QUEUE_CONTEXT:
      return info_value(queue->context, size, value, size_ret);
    case CL_QUEUE_DEVICE:
      return info_value(queue->device, size, value, size_ret);
    case CL_QUEUE_REFERENCE_COUNT:
      return info_value(queue->references, size, value, size_ret);
    case CL_QUEUE_PROPERTIES:
      return info_value(queue->properties, size, value, size_ret);
    default:
      return CL_INVALID_VALUE;
  }
}

// Commands reach the device when they are enqueued: there is nothing to flush.
cl_int CL_API_CALL clFlush(cl_command_queue queue) {
  std::lock_guard lock(api_mutex());
  return valid(queue) ? CL_SUCCESS : CL_INVALID_COMMAND_QUEUE;
}

// Commands a user event holds back are waited for with the API unlocked, so that
// another thread can set the event.
cl_int CL_API_CALL clFinish(cl_command_queue queue) {
  std::unique_lock lock(api_mutex());
  if (!valid(queue)) return CL_INVALID_COMMAND_QUEUE;
  wait_for_host(lock, [queue] { return queue->deferred.empty(); });
  try {
    queue->device->settle();
  } catch (const std::exception& e) {
    return fail(queue->context, error_code(e), std::string("clFinish: ") + e.what());
  }
  return CL_SUCCESS;
}

}  // namespace tessera::icd::api

// Dispatch table entries of this file.
TESSERA_ICD_ENTRY(clGetDeviceInfo)
TESSERA_ICD_ENTRY(clCreateContext)
TESSERA_ICD_ENTRY(clCreateContextFromType)
TESSERA_ICD_ENTRY(clRetainContext)
TESSERA_ICD_ENTRY(clReleaseContext)
TESSERA_ICD_ENTRY(clGetContextInfo)
TESSERA_ICD_ENTRY(clCreateCommandQueue)
TESSERA_ICD_ENTRY(clCreateCommandQueueWithProperties)
TESSERA_ICD_ENTRY(clRetainCommandQueue)
TESSERA_ICD_ENTRY(clReleaseCommandQueue)
TESSERA_ICD_ENTRY(clGetCommandQueueInfo)
TESSERA_ICD_ENTRY(clFlush)
TESSERA_ICD_ENTRY(clFinish)
