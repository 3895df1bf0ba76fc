// Commands on buffers: read, write, fill, copy, map, unmap, migrate.
#include "icd/buffer_commands.hpp"

#include <algorithm>

using namespace tessera::icd;
namespace sim = tessera::sim;

namespace tessera::icd {

// Bytes from the buffer's contents wherever they are: host memory costs nothing,
// device memory a read over the host link.
void read_region(cl_mem buffer, std::size_t offset, std::size_t size, void* out) {
  if (size == 0) return;  // (`out` may then be null, which memcpy does not take)
  const cl_device_id current = buffer->storage().current;
  if (current == nullptr) {
    std::memcpy(out, buffer->host_bytes() + offset, size);
  } else {
    current->simulator().read(buffer->on_device(current) + offset, out, size);
  }
}

cl_ulong write_region(cl_mem buffer, std::size_t offset, std::size_t size, const void* data) {
  if (size == 0) return 0;
  cl_ulong landed = 0;
  const cl_device_id current = buffer->storage().current;
  if (current == nullptr) {
    std::memcpy(buffer->host_bytes() + offset, data, size);
  } else {
    landed = ns(current->simulator().write(buffer->on_device(current) + offset, data, size));
  }
  buffer->written(offset, size);
  return landed;
}

}  // namespace tessera::icd

namespace tessera::icd::api {

cl_int CL_API_CALL clEnqueueReadBuffer(cl_command_queue queue, cl_mem buffer, cl_bool blocking,
                                       size_t offset, size_t size, void* ptr, cl_uint waits,
                                       const cl_event* wait_list, cl_event* event) {
  std::unique_lock lock(api_mutex());
  if (const cl_int e = check_region(queue, buffer, offset, size, waits, wait_list); e) return e;
  if (ptr == nullptr || size == 0) return CL_INVALID_VALUE;
  if (!host_may_read(buffer)) return CL_INVALID_OPERATION;
  const cl_int e = run_command(queue, CL_COMMAND_READ_BUFFER, waits, wait_list, event, {buffer},
                               [=](sim::Platform&) {
                                 read_region(buffer, offset, size, ptr);
                                 return cl_ulong{0};
                               });
  if (e == CL_SUCCESS) wait_if_blocking(lock, queue, blocking);
  return e;
}

cl_int CL_API_CALL clEnqueueWriteBuffer(cl_command_queue queue, cl_mem buffer, cl_bool blocking,
                                        size_t offset, size_t size, const void* ptr, cl_uint waits,
                                        const cl_event* wait_list, cl_event* event) {
  std::unique_lock lock(api_mutex());
  if (const cl_int e = check_region(queue, buffer, offset, size, waits, wait_list); e) return e;
  if (ptr == nullptr || size == 0) return CL_INVALID_VALUE;
  if (!host_may_write(buffer)) return CL_INVALID_OPERATION;
  const cl_int e =
      run_command(queue, CL_COMMAND_WRITE_BUFFER, waits, wait_list, event, {buffer},
                  [=](sim::Platform&) { return write_region(buffer, offset, size, ptr); });
  if (e == CL_SUCCESS) wait_if_blocking(lock, queue, blocking);
  return e;
}

cl_int CL_API_CALL clEnqueueFillBuffer(cl_command_queue queue, cl_mem buffer, const void* pattern,
                                       size_t pattern_size, size_t offset, size_t size,
                                       cl_uint waits, const cl_event* wait_list, cl_event* event) {
  std::lock_guard lock(api_mutex());
  if (const cl_int e = check_region(queue, buffer, offset, size, waits, wait_list); e) return e;
  const bool power_of_two = pattern_size != 0 && (pattern_size & (pattern_size - 1)) == 0;
  if (pattern == nullptr || !power_of_two || pattern_size > 128 || offset % pattern_size != 0 ||
      size % pattern_size != 0) {
    return CL_INVALID_VALUE;
  }
  std::vector<std::uint8_t> data(size);
  for (size_t i = 0; i < size; i += pattern_size) std::memcpy(&data[i], pattern, pattern_size);
  return run_command(queue, CL_COMMAND_FILL_BUFFER, waits, wait_list, event, {buffer},
                     [=, data = std::move(data)](sim::Platform&) {
                       return write_region(buffer, offset, size, data.data());
                     });
}

// Copies go through the host: the simulated device has no copy engine yet.
cl_int CL_API_CALL clEnqueueCopyBuffer(cl_command_queue queue, cl_mem source, cl_mem target,
                                       size_t source_offset, size_t target_offset, size_t size,
                                       cl_uint waits, const cl_event* wait_list, cl_event* event) {
  std::lock_guard lock(api_mutex());
  if (const cl_int e = check_region(queue, source, source_offset, size, waits, wait_list); e)
    return e;
  if (const cl_int e = check_region(queue, target, target_offset, size, 0, nullptr); e) return e;
  if (size == 0) return CL_INVALID_VALUE;  // as reads and writes
  if (source == target &&
      std::max(source_offset, target_offset) < std::min(source_offset, target_offset) + size) {
    return CL_MEM_COPY_OVERLAP;
  }
  return run_command(queue, CL_COMMAND_COPY_BUFFER, waits, wait_list, event, {source, target},
                     [=](sim::Platform&) {
                       std::vector<std::uint8_t> data(size);
                       read_region(source, source_offset, size, data.data());
                       return write_region(target, target_offset, size, data.data());
                     });
}

void* CL_API_CALL clEnqueueMapBuffer(cl_command_queue queue, cl_mem buffer, cl_bool blocking,
                                     cl_map_flags flags, size_t offset, size_t size, cl_uint waits,
                                     const cl_event* wait_list, cl_event* event,
                                     cl_int* errcode_ret) {
  std::unique_lock lock(api_mutex());
  if (const cl_int e = check_region(queue, buffer, offset, size, waits, wait_list); e) {
    return set_error(errcode_ret, e), nullptr;
  }
  const cl_map_flags known = CL_MAP_READ | CL_MAP_WRITE | CL_MAP_WRITE_INVALIDATE_REGION;
  const bool invalidates = (flags & CL_MAP_WRITE_INVALIDATE_REGION) != 0;
  if (size == 0 || (flags & ~known) != 0 ||
      (invalidates && (flags & (CL_MAP_READ | CL_MAP_WRITE)) != 0)) {
    return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  }
  if (((flags & CL_MAP_READ) != 0 && !host_may_read(buffer)) ||
      ((flags & (CL_MAP_WRITE | CL_MAP_WRITE_INVALIDATE_REGION)) != 0 && !host_may_write(buffer))) {
    return set_error(errcode_ret, CL_INVALID_OPERATION), nullptr;
  }
  std::uint8_t* base = static_cast<std::uint8_t*>(buffer->host_ptr);
  if (base == nullptr) {
    if (buffer->mapped.size() != buffer->size) buffer->mapped.assign(buffer->size, 0);
    base = buffer->mapped.data();
  }
  void* pointer = base + offset;
  const bool reads = !invalidates;
  const cl_int status = run_command(queue, CL_COMMAND_MAP_BUFFER, waits, wait_list, event, {buffer},
                                    [=](sim::Platform&) {
                                      if (reads) read_region(buffer, offset, size, pointer);
                                      return cl_ulong{0};
                                    });
  if (status != CL_SUCCESS) return set_error(errcode_ret, status), nullptr;
  buffer->mappings.push_back({pointer, offset, size, (flags & ~cl_map_flags{CL_MAP_READ}) != 0});
  wait_if_blocking(lock, queue, blocking);
  set_error(errcode_ret, CL_SUCCESS);
  return pointer;
}

cl_int CL_API_CALL clEnqueueUnmapMemObject(cl_command_queue queue, cl_mem buffer, void* pointer,
                                           cl_uint waits, const cl_event* wait_list,
                                           cl_event* event) {
  std::lock_guard lock(api_mutex());
  if (const cl_int e = check_region(queue, buffer, 0, 0, waits, wait_list); e) return e;
  const auto found = std::find_if(buffer->mappings.begin(), buffer->mappings.end(),
                                  [&](const _cl_mem::Mapping& m) { return m.pointer == pointer; });
  if (found == buffer->mappings.end()) return CL_INVALID_VALUE;
  const _cl_mem::Mapping mapping = *found;
  buffer->mappings.erase(found);
  return run_command(queue, CL_COMMAND_UNMAP_MEM_OBJECT, waits, wait_list, event, {buffer},
                     [=](sim::Platform&) {
                       if (!mapping.writes) return cl_ulong{0};
                       return write_region(buffer, mapping.offset, mapping.size, mapping.pointer);
                     });
}

// Contents move where the flags say: to host memory (CL_MIGRATE_MEM_OBJECT_HOST) or
// to the queue's device over the host link; with CONTENT_UNDEFINED nothing moves.
cl_int CL_API_CALL clEnqueueMigrateMemObjects(cl_command_queue queue, cl_uint count,
                                              const cl_mem* buffers, cl_mem_migration_flags flags,
                                              cl_uint waits, const cl_event* wait_list,
                                              cl_event* event) {
  std::lock_guard lock(api_mutex());
  if (!valid(queue)) return CL_INVALID_COMMAND_QUEUE;
  if (count == 0 || buffers == nullptr) return CL_INVALID_VALUE;
  for (cl_uint i = 0; i < count; ++i) {
    if (!valid(buffers[i])) return CL_INVALID_MEM_OBJECT;
    if (buffers[i]->context != queue->context) return CL_INVALID_CONTEXT;
  }
  const cl_mem_migration_flags known =
      CL_MIGRATE_MEM_OBJECT_HOST | CL_MIGRATE_MEM_OBJECT_CONTENT_UNDEFINED;
  if ((flags & ~known) != 0) return CL_INVALID_VALUE;
  if (const cl_int e = check_wait_list(queue->context, waits, wait_list); e) return e;
  const std::vector<cl_mem> objects(buffers, buffers + count);
  return run_command(queue, CL_COMMAND_MIGRATE_MEM_OBJECTS, waits, wait_list, event, objects,
                     [=](sim::Platform&) {
                       const cl_device_id device = queue->device;
                       for (cl_mem b : objects) {
                         if ((flags & CL_MIGRATE_MEM_OBJECT_HOST) != 0) {
                           b->on_host();
                         } else if ((flags & CL_MIGRATE_MEM_OBJECT_CONTENT_UNDEFINED) != 0) {
                           b->storage().placed_on(device);
                         } else {
                           b->on_device(device);
                         }
                       }
                       return cl_ulong{0};
                     });
}

}  // namespace tessera::icd::api

// Dispatch table entries of this file.
TESSERA_ICD_ENTRY(clEnqueueReadBuffer)
TESSERA_ICD_ENTRY(clEnqueueWriteBuffer)
TESSERA_ICD_ENTRY(clEnqueueFillBuffer)
TESSERA_ICD_ENTRY(clEnqueueCopyBuffer)
TESSERA_ICD_ENTRY(clEnqueueMapBuffer)
TESSERA_ICD_ENTRY(clEnqueueUnmapMemObject)
TESSERA_ICD_ENTRY(clEnqueueMigrateMemObjects)
