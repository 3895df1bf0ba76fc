#pragma once

// What the commands on buffers share (buffer_commands.cpp, rect_commands.cpp).
#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "icd/util.hpp"

namespace tessera::icd {

// The checks shared by the commands on one buffer region.
inline cl_int check_region(cl_command_queue queue, cl_mem buffer, size_t offset, size_t size,
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
    return fail(queue->context, error_code(e), std::string(command_name(type)) + ": " + e.what());
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
inline void wait_if_blocking(std::unique_lock<std::recursive_mutex>& lock, cl_command_queue queue,
                             cl_bool blocking) {
  if (blocking) wait_for_host(lock, [queue] { return queue->deferred.empty(); });
}

// The buffer's CL_MEM_HOST_* flags allow the host to read (write) it.
inline bool host_may_read(cl_mem buffer) {
  return (buffer->flags & (CL_MEM_HOST_WRITE_ONLY | CL_MEM_HOST_NO_ACCESS)) == 0;
}
inline bool host_may_write(cl_mem buffer) {
  return (buffer->flags & (CL_MEM_HOST_READ_ONLY | CL_MEM_HOST_NO_ACCESS)) == 0;
}

// Bytes from the buffer's contents wherever they are: host memory costs nothing,
// device memory a read over the host link.
void read_region(cl_mem buffer, std::size_t offset, std::size_t size, void* out);

}  // namespace tessera::icd
