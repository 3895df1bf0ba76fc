// Buffer objects: creation, sub-buffers, queries, destructor callbacks.
#include <algorithm>

#include "icd/util.hpp"

using namespace tessera::icd;
namespace sim = tessera::sim;

namespace {

constexpr cl_mem_flags kAccessFlags = CL_MEM_READ_WRITE | CL_MEM_READ_ONLY | CL_MEM_WRITE_ONLY;
constexpr cl_mem_flags kHostAccessFlags =
    CL_MEM_HOST_READ_ONLY | CL_MEM_HOST_WRITE_ONLY | CL_MEM_HOST_NO_ACCESS;
constexpr cl_mem_flags kHostPointerFlags =
    CL_MEM_USE_HOST_PTR | CL_MEM_ALLOC_HOST_PTR | CL_MEM_COPY_HOST_PTR;

int flag_count(cl_mem_flags f) { return __builtin_popcountll(f); }

// Known bits, at most one access and one host access, USE_HOST_PTR alone.
bool valid_buffer_flags(cl_mem_flags flags) {
  return (flags & ~(kAccessFlags | kHostAccessFlags | kHostPointerFlags)) == 0 &&
         flag_count(flags & kAccessFlags) <= 1 && flag_count(flags & kHostAccessFlags) <= 1 &&
         ((flags & CL_MEM_USE_HOST_PTR) == 0 ||
          (flags & (CL_MEM_ALLOC_HOST_PTR | CL_MEM_COPY_HOST_PTR)) == 0);
}

// clCreateSubBuffer: no host-pointer flags, and no access the parent does not give.
cl_int check_sub_buffer_flags(cl_mem_flags parent, cl_mem_flags flags) {
  if (!valid_buffer_flags(flags) || (flags & kHostPointerFlags) != 0) return CL_INVALID_VALUE;
  const auto has = [](cl_mem_flags f, cl_mem_flags bit) { return (f & bit) != 0; };
  const bool device_conflict =
      (has(parent, CL_MEM_WRITE_ONLY) && has(flags, CL_MEM_READ_WRITE | CL_MEM_READ_ONLY)) ||
      (has(parent, CL_MEM_READ_ONLY) && has(flags, CL_MEM_READ_WRITE | CL_MEM_WRITE_ONLY));
  const bool host_conflict =
      (has(parent, CL_MEM_HOST_WRITE_ONLY) && has(flags, CL_MEM_HOST_READ_ONLY)) ||
      (has(parent, CL_MEM_HOST_READ_ONLY) && has(flags, CL_MEM_HOST_WRITE_ONLY)) ||
      (has(parent, CL_MEM_HOST_NO_ACCESS) &&
       has(flags, CL_MEM_HOST_READ_ONLY | CL_MEM_HOST_WRITE_ONLY));
  return device_conflict || host_conflict ? CL_INVALID_VALUE : CL_SUCCESS;
}

}  // namespace

namespace tessera::icd::api {

cl_mem CL_API_CALL clCreateBuffer(cl_context context, cl_mem_flags flags, size_t size,
                                  void* host_ptr, cl_int* errcode_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(context)) return set_error(errcode_ret, CL_INVALID_CONTEXT), nullptr;
  if (!valid_buffer_flags(flags)) return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  cl_ulong largest = 0;
  for (cl_device_id d : context->devices) {
    largest = std::max<cl_ulong>(largest, d->config.memory.bytes);
  }
  if (size == 0 || size > largest) return set_error(errcode_ret, CL_INVALID_BUFFER_SIZE), nullptr;
  const bool needs_pointer = (flags & (CL_MEM_USE_HOST_PTR | CL_MEM_COPY_HOST_PTR)) != 0;
  if (needs_pointer != (host_ptr != nullptr)) {
    return set_error(errcode_ret, CL_INVALID_HOST_PTR), nullptr;
  }
  auto* buffer = new _cl_mem{};
  buffer->dispatch = dispatch_table();
  buffer->context = context;
  buffer->flags = flags == 0 ? CL_MEM_READ_WRITE : flags;
  buffer->size = size;
  buffer->host_ptr = (flags & CL_MEM_USE_HOST_PTR) != 0 ? host_ptr : nullptr;
  try {
    buffer->host_copy.assign(size, 0);
  } catch (const std::bad_alloc&) {
    delete buffer;
    return set_error(errcode_ret, CL_MEM_OBJECT_ALLOCATION_FAILURE), nullptr;
  }
  if (needs_pointer) {
    std::memcpy(buffer->host_copy.data(), host_ptr, size);
    buffer->defined = true;
  }
  ++context->references;
  track(buffer);
  set_error(errcode_ret, CL_SUCCESS);
  return buffer;
}

cl_mem CL_API_CALL clCreateSubBuffer(cl_mem buffer, cl_mem_flags flags, cl_buffer_create_type type,
                                     const void* info, cl_int* errcode_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(buffer) || buffer->parent != nullptr) {
    return set_error(errcode_ret, CL_INVALID_MEM_OBJECT), nullptr;
  }
  if (const cl_int e = check_sub_buffer_flags(buffer->flags, flags); e != CL_SUCCESS) {
    return set_error(errcode_ret, e), nullptr;
  }
  if (type != CL_BUFFER_CREATE_TYPE_REGION || info == nullptr) {
    return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  }
  const auto& region = *static_cast<const cl_buffer_region*>(info);
  if (region.size == 0) return set_error(errcode_ret, CL_INVALID_BUFFER_SIZE), nullptr;
  if (region.origin > buffer->size || region.size > buffer->size - region.origin) {
    return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  }
  // Every device's CL_DEVICE_MEM_BASE_ADDR_ALIGN: device allocations' alignment.
  if (region.origin % sim::Platform::kAllocationAlignment != 0)
    return set_error(errcode_ret, CL_MISALIGNED_SUB_BUFFER_OFFSET), nullptr;
  auto* sub = new _cl_mem{};
  sub->dispatch = dispatch_table();
  sub->context = buffer->context;
  const cl_mem_flags inherited =
      (buffer->flags & (kHostPointerFlags | kAccessFlags | kHostAccessFlags)) &
      ~((flags & kAccessFlags) != 0 ? kAccessFlags : 0) &
      ~((flags & kHostAccessFlags) != 0 ? kHostAccessFlags : 0);
  sub->flags = flags | inherited;
  sub->size = region.size;
  sub->host_ptr =
      buffer->host_ptr == nullptr ? nullptr : static_cast<char*>(buffer->host_ptr) + region.origin;
  sub->parent = buffer;
  sub->origin = region.origin;
  buffer->sub_buffers.push_back(sub);
  ++buffer->context->references;
  track(sub);
  set_error(errcode_ret, CL_SUCCESS);
  return sub;
}

cl_int CL_API_CALL clRetainMemObject(cl_mem buffer) {
  std::lock_guard lock(api_mutex());
  if (!valid(buffer)) return CL_INVALID_MEM_OBJECT;
  ++buffer->references;
  return CL_SUCCESS;
}

cl_int CL_API_CALL clReleaseMemObject(cl_mem buffer) {
  std::lock_guard lock(api_mutex());
  if (!valid(buffer)) return CL_INVALID_MEM_OBJECT;
  release_buffer(buffer);
  return CL_SUCCESS;
}

cl_int CL_API_CALL clGetMemObjectInfo(cl_mem buffer, cl_mem_info param, size_t size, void* value,
                                      size_t* size_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(buffer)) return CL_INVALID_MEM_OBJECT;
  switch (param) {
    case CL_MEM_TYPE:
      return info_value(cl_mem_object_type{CL_MEM_OBJECT_BUFFER}, size, value, size_ret);
    case CL_MEM_FLAGS:
      return info_value(buffer->flags, size, value, size_ret);
    case CL_MEM_SIZE:
      return info_value(buffer->size, size, value, size_ret);
    case CL_MEM_HOST_PTR:
      return info_value(buffer->host_ptr, size, value, size_ret);
    case CL_MEM_MAP_COUNT:
      return info_value(static_cast<cl_uint>(buffer->mappings.size()), size, value, size_ret);
    case CL_MEM_REFERENCE_COUNT:
      return info_value(buffer->references, size, value, size_ret);
    case CL_MEM_CONTEXT:
      return info_value(buffer->context, size, value, size_ret);
    case CL_MEM_ASSOCIATED_MEMOBJECT:
      return info_value(buffer->parent, size, value, size_ret);
    case CL_MEM_OFFSET:
      return info_value(buffer->origin, size, value, size_ret);
    default:
      return CL_INVALID_VALUE;
  }
}

cl_int CL_API_CALL clSetMemObjectDestructorCallback(cl_mem buffer,
                                                    void(CL_CALLBACK* notify)(cl_mem, void*),
                                                    void* user_data) {
  std::lock_guard lock(api_mutex());
  if (!valid(buffer)) return CL_INVALID_MEM_OBJECT;
  if (notify == nullptr) return CL_INVALID_VALUE;
  buffer->destructors.push_back({notify, user_data});
  return CL_SUCCESS;
}

// No device supports images: every valid question gets no formats.
cl_int CL_API_CALL clGetSupportedImageFormats(cl_context context, cl_mem_flags flags,
                                              cl_mem_object_type type, cl_uint entries,
                                              cl_image_format* formats, cl_uint* count) {
  std::lock_guard lock(api_mutex());
  if (!valid(context)) return CL_INVALID_CONTEXT;
  const bool image_type = type == CL_MEM_OBJECT_IMAGE1D || type == CL_MEM_OBJECT_IMAGE1D_BUFFER ||
                          type == CL_MEM_OBJECT_IMAGE1D_ARRAY || type == CL_MEM_OBJECT_IMAGE2D ||
                          type == CL_MEM_OBJECT_IMAGE2D_ARRAY || type == CL_MEM_OBJECT_IMAGE3D;
  if (!valid_buffer_flags(flags) || !image_type || (entries == 0 && formats != nullptr)) {
    return CL_INVALID_VALUE;
  }
  if (count != nullptr) *count = 0;
  return CL_SUCCESS;
}

}  // namespace tessera::icd::api

// Dispatch table entries of this file.
TESSERA_ICD_ENTRY(clCreateBuffer)
TESSERA_ICD_ENTRY(clCreateSubBuffer)
TESSERA_ICD_ENTRY(clRetainMemObject)
TESSERA_ICD_ENTRY(clReleaseMemObject)
TESSERA_ICD_ENTRY(clGetMemObjectInfo)
TESSERA_ICD_ENTRY(clSetMemObjectDestructorCallback)
TESSERA_ICD_ENTRY(clGetSupportedImageFormats)
