// Buffers and the commands that move their contents.
#include <algorithm>
#include <chrono>

#include "icd/util.hpp"

using namespace tessera::icd;
namespace sim = tessera::sim;

namespace {

_cl_mem::Allocation* allocation_on(_cl_mem& buffer, cl_device_id device) {
  const auto found = std::find_if(buffer.allocations.begin(), buffer.allocations.end(),
                                  [&](const _cl_mem::Allocation& a) { return a.device == device; });
  return found == buffer.allocations.end() ? nullptr : &*found;
}

}  // namespace

std::uint64_t _cl_mem::placed_on(cl_device_id device) {
  _cl_mem::Allocation* a = allocation_on(*this, device);
  if (a == nullptr) {
    allocations.push_back({device, device->simulator().allocate(size)});
    a = &allocations.back();
  }
  current = device;
  return a->address;
}

std::uint64_t _cl_mem::overwritten_on_device(cl_device_id device) {
  if (parent != nullptr) {  // the parent's other bytes stay: its contents move there
    const std::uint64_t address = parent->on_device(device) + origin;
    parent->written(origin, size);
    return address;
  }
  const std::uint64_t address = placed_on(device);
  defined = true;
  for (cl_mem sub : sub_buffers) sub->layout = {};
  return address;
}

std::uint64_t _cl_mem::on_device(cl_device_id device) {
  if (parent != nullptr) return parent->on_device(device) + origin;
  const bool moves = current != device && defined;
  const std::uint8_t* contents = moves ? on_host() : nullptr;
  const std::uint64_t address = placed_on(device);
  if (moves) device->simulator().write(address, contents, size);  // posted
  return address;
}

std::uint8_t* _cl_mem::on_host() {
  if (parent != nullptr) return parent->on_host() + origin;
  if (current != nullptr) {
    current->finish();
    current->simulator().read(allocation_on(*this, current)->address, host_copy.data(), size);
    current = nullptr;
  }
  return host_copy.data();
}

void _cl_mem::written(std::size_t offset, std::size_t bytes) {
  if (parent != nullptr) {
    parent->written(origin + offset, bytes);
    return;
  }
  defined = true;
  layout = {};
  for (cl_mem sub : sub_buffers) {
    if (sub->origin < offset + bytes && offset < sub->origin + sub->size) sub->layout = {};
  }
}

void _cl_mem::release_storage() {
  for (const Allocation& a : allocations) {
    a.device->finish();  // a submitted kernel may still read or write the buffer
    a.device->simulator().release(a.address);
  }
  allocations.clear();
  host_copy = {};
  mapped = {};
  current = nullptr;
}

void _cl_mem::deleted() {
  if (!sub_buffers.empty()) return;  // the last sub-buffer's deletion comes back here
  mapped = {};
  if (parent == nullptr) release_storage();
  for (auto d = destructors.rbegin(); d != destructors.rend(); ++d) d->notify(this, d->user_data);
  destructors.clear();
  if (parent != nullptr) {
    auto& siblings = parent->sub_buffers;
    siblings.erase(std::find(siblings.begin(), siblings.end(), this));
    if (!parent->alive) parent->deleted();
  }
}

namespace tessera::icd {

void release_buffer(cl_mem buffer) {
  if (--buffer->references != 0) return;
  buffer->alive = false;
  buffer->deleted();
  if (--buffer->context->references == 0) buffer->context->alive = false;
}

cl_ulong device_time_ns(cl_device_id device) {
  if (device->fidelity == sim::Fidelity::kFunc) {
    return static_cast<cl_ulong>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now().time_since_epoch())
                                     .count());
  }
  return ns(device->simulator().now_seconds());
}

cl_int check_wait_list(cl_context context, cl_uint count, const cl_event* events) {
  if ((count == 0) != (events == nullptr)) return CL_INVALID_EVENT_WAIT_LIST;
  for (cl_uint i = 0; i < count; ++i) {
    if (!valid(events[i])) return CL_INVALID_EVENT_WAIT_LIST;
    if (events[i]->context != context) return CL_INVALID_CONTEXT;
  }
  return CL_SUCCESS;
}

cl_event make_event(cl_command_queue queue, cl_command_type type, cl_ulong queued, cl_ulong start,
                    cl_ulong end) {
  auto* event = new _cl_event{};
  event->dispatch = dispatch_table();
  event->context = queue->context;
  event->queue = queue;
  event->type = type;
  event->status = CL_COMPLETE;
  event->queued = queued;
  event->submit = queued;
  event->start = start;
  event->end = end;
  ++queue->references;
  track(event);
  return event;
}

}  // namespace tessera::icd

namespace {

// The checks shared by the commands on one buffer region.
cl_int check_region(cl_command_queue queue, cl_mem buffer, size_t offset, size_t size,
                    cl_uint waits, const cl_event* wait_list) {
  if (!valid(queue)) return CL_INVALID_COMMAND_QUEUE;
  if (!valid(buffer)) return CL_INVALID_MEM_OBJECT;
  if (buffer->context != queue->context) return CL_INVALID_CONTEXT;
  if (offset > buffer->size || size > buffer->size - offset) return CL_INVALID_VALUE;
  return check_wait_list(queue->context, waits, wait_list);
}

// Runs `command` on the queue's device and returns the event of it, if asked for.
// Earlier kernels finish first (the queue is in order); the command's event ends
// when `command` returns, or at the simulated time it returns (posted writes).
template <typename Command>
cl_int run_now(cl_command_queue queue, cl_command_type type, cl_event* event, Command& command) {
  const cl_ulong queued = device_time_ns(queue->device);
  cl_ulong start = queued, end = 0;
  try {
    queue->device->finish();
    start = device_time_ns(queue->device);
    end = command(queue->device->simulator());
  } catch (const std::exception& e) {
    return fail(queue->context, CL_OUT_OF_RESOURCES,
                std::string(command_name(type)) + ": " + e.what());
  }
  if (event != nullptr) {
    *event = make_event(queue, type, queued, start, std::max(end, device_time_ns(queue->device)));
  }
  return CL_SUCCESS;
}

// run_now() after the wait list, or later when a user event holds the command back;
// the buffers it uses are kept until then.
template <typename Command>
cl_int run_command(cl_command_queue queue, cl_command_type type, cl_uint waits,
                   const cl_event* wait_list, cl_event* event, std::vector<cl_mem> buffers,
                   Command command) {
  const bool deferred = is_deferred(queue, waits, wait_list);
  if (deferred) {
    for (cl_mem b : buffers) ++b->references;
  }
  return enqueue(queue, type, waits, wait_list, event,
                 [=, command = std::move(command)](cl_event* done) mutable {
                   const cl_int result = run_now(queue, type, done, command);
                   if (deferred) {
                     for (cl_mem b : buffers) release_buffer(b);
                   }
                   return result;
                 });
}

// A blocking command returns once it has run, also when a user event held it back.
void wait_if_blocking(std::unique_lock<std::recursive_mutex>& lock, cl_command_queue queue,
                      cl_bool blocking) {
  if (blocking) wait_for_host(lock, [queue] { return queue->deferred.empty(); });
}

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

// Bytes from the buffer's contents wherever they are: host memory costs nothing,
// device memory a read over the host link.
void read_region(cl_mem buffer, std::size_t offset, std::size_t size, void* out) {
  const cl_device_id current = buffer->storage().current;
  if (current == nullptr) {
    std::memcpy(out, buffer->host_bytes() + offset, size);
  } else {
    current->simulator().read(buffer->on_device(current) + offset, out, size);
  }
}

}  // namespace

namespace tessera::icd {

cl_ulong write_region(cl_mem buffer, std::size_t offset, std::size_t size, const void* data) {
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

cl_int CL_API_CALL clEnqueueReadBuffer(cl_command_queue queue, cl_mem buffer, cl_bool blocking,
                                       size_t offset, size_t size, void* ptr, cl_uint waits,
                                       const cl_event* wait_list, cl_event* event) {
  std::unique_lock lock(api_mutex());
  if (const cl_int e = check_region(queue, buffer, offset, size, waits, wait_list); e) return e;
  if (ptr == nullptr) return CL_INVALID_VALUE;
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
  if (ptr == nullptr) return CL_INVALID_VALUE;
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
  if (size == 0 || (flags & ~known) != 0) return set_error(errcode_ret, CL_INVALID_VALUE), nullptr;
  std::uint8_t* base = static_cast<std::uint8_t*>(buffer->host_ptr);
  if (base == nullptr) {
    if (buffer->mapped.size() != buffer->size) buffer->mapped.assign(buffer->size, 0);
    base = buffer->mapped.data();
  }
  void* pointer = base + offset;
  const bool reads = (flags & CL_MAP_WRITE_INVALIDATE_REGION) == 0;
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
TESSERA_ICD_ENTRY(clCreateBuffer)
TESSERA_ICD_ENTRY(clRetainMemObject)
TESSERA_ICD_ENTRY(clReleaseMemObject)
TESSERA_ICD_ENTRY(clGetMemObjectInfo)
TESSERA_ICD_ENTRY(clEnqueueReadBuffer)
TESSERA_ICD_ENTRY(clEnqueueWriteBuffer)
TESSERA_ICD_ENTRY(clEnqueueFillBuffer)
TESSERA_ICD_ENTRY(clEnqueueCopyBuffer)
TESSERA_ICD_ENTRY(clEnqueueMapBuffer)
TESSERA_ICD_ENTRY(clEnqueueUnmapMemObject)
TESSERA_ICD_ENTRY(clCreateSubBuffer)
TESSERA_ICD_ENTRY(clSetMemObjectDestructorCallback)
TESSERA_ICD_ENTRY(clGetSupportedImageFormats)
TESSERA_ICD_ENTRY(clEnqueueMigrateMemObjects)
