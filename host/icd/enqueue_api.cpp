// Kernel launches and events.
#include <algorithm>
#include <chrono>

#include "icd/util.hpp"

using namespace tessera::icd;

namespace tessera::icd {

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

cl_event new_event(cl_context context, cl_command_queue queue, cl_command_type type,
                   cl_int status) {
  auto* event = new _cl_event{};
  event->dispatch = dispatch_table();
  event->context = context;
  event->queue = queue;
  event->type = type;
  event->status = status;
  ++(queue != nullptr ? queue->references : context->references);
  track(event);
  return event;
}

cl_event make_event(cl_command_queue queue, cl_command_type type, cl_ulong queued, cl_ulong start,
                    cl_ulong end) {
  cl_event event = new_event(queue->context, queue, type, CL_COMPLETE);
  event->queued = queued;
  event->submit = queued;
  event->start = start;
  event->end = end;
  return event;
}

void release_event(cl_event event) {
  if (--event->references != 0) return;
  event->alive = false;
  if (event->forward != nullptr) release_event(event->forward);  // a placeholder's own
  if (event->queue == nullptr) {                                 // a user event holds its context
    release_context(event->context);
  } else {
    release_queue(event->queue);
  }
}

cl_int complete(cl_uint count, const cl_event* events) {
  for (cl_uint i = 0; i < count; ++i) {
    const cl_event event = resolved(events[i]);
    if (event->status != CL_SUBMITTED || event->queue == nullptr) continue;
    try {
      event->queue->device->finish();
    } catch (const std::exception& e) {
      return fail(event->context, error_code(e), e.what());
    }
  }
  return CL_SUCCESS;
}

}  // namespace tessera::icd

namespace {

// A marker or barrier: completes once the commands before it have.
cl_int enqueue_sync_point(cl_command_queue queue, cl_command_type type, cl_uint waits,
                          const cl_event* wait_list, cl_event* event) {
  if (!valid(queue)) return CL_INVALID_COMMAND_QUEUE;
  if (const cl_int e = check_wait_list(queue->context, waits, wait_list); e != CL_SUCCESS) return e;
  return enqueue(queue, type, waits, wait_list, event, [queue, type](cl_event* done) {
    try {
      queue->device->settle();
    } catch (const std::exception& e) {
      return fail(queue->context, error_code(e), e.what());
    }
    if (done != nullptr) {
      const cl_ulong now = device_time_ns(queue->device);
      *done = make_event(queue, type, now, now, now);
    }
    return CL_SUCCESS;
  });
}

// A deferred launch runs with the arguments set when it was enqueued.
cl_int launch(cl_command_queue queue, cl_kernel kernel, cl_uint waits, const cl_event* wait_list,
              cl_event* event) {
  if (!valid(queue)) return CL_INVALID_COMMAND_QUEUE;
  if (!valid(kernel)) return CL_INVALID_KERNEL;
  if (kernel->program->context != queue->context) return CL_INVALID_CONTEXT;
  if (const cl_int e = check_wait_list(queue->context, waits, wait_list); e != CL_SUCCESS) return e;
  if (!is_deferred(queue, waits, wait_list)) {
    if (const cl_int e = complete(waits, wait_list); e != CL_SUCCESS) return e;
    return find_built_in(kernel->name)->launch(queue, kernel, event);
  }
  ++kernel->references;  // kept until the launch has run
  return enqueue(queue, CL_COMMAND_NDRANGE_KERNEL, waits, wait_list, event,
                 [queue, kernel, args = kernel->args](cl_event* done) {
                   std::vector<_cl_kernel::Arg> now = kernel->args;
                   kernel->args = args;
                   const cl_int result = find_built_in(kernel->name)->launch(queue, kernel, done);
                   kernel->args = std::move(now);
                   release_kernel(kernel);
                   return result;
                 });
}

}  // namespace

namespace tessera::icd::api {

cl_int CL_API_CALL clEnqueueNDRangeKernel(cl_command_queue queue, cl_kernel kernel,
                                          cl_uint work_dim, const size_t* offset,
                                          const size_t* global, const size_t* local, cl_uint waits,
                                          const cl_event* wait_list, cl_event* event) {
  std::lock_guard lock(api_mutex());
  if (!valid(queue)) return CL_INVALID_COMMAND_QUEUE;
  if (!valid(kernel)) return CL_INVALID_KERNEL;
  // Built-in kernels run as one work-item: global and local sizes 1 in every dimension.
  if (work_dim < 1 || work_dim > 3) return CL_INVALID_WORK_DIMENSION;
  if (global == nullptr) return CL_INVALID_GLOBAL_WORK_SIZE;
  for (cl_uint d = 0; d < work_dim; ++d) {
    if (global[d] != 1) return CL_INVALID_GLOBAL_WORK_SIZE;
    if (offset != nullptr && offset[d] != 0) return CL_INVALID_GLOBAL_OFFSET;
    if (local != nullptr && local[d] != 1) return CL_INVALID_WORK_GROUP_SIZE;
  }
  return launch(queue, kernel, waits, wait_list, event);
}

cl_int CL_API_CALL clEnqueueTask(cl_command_queue queue, cl_kernel kernel, cl_uint waits,
                                 const cl_event* wait_list, cl_event* event) {
  std::lock_guard lock(api_mutex());
  return launch(queue, kernel, waits, wait_list, event);
}

// Events that only the host can complete (user events, commands waiting for them)
// are waited for with the API unlocked, so that another thread can set them.
cl_int CL_API_CALL clWaitForEvents(cl_uint count, const cl_event* events) {
  std::unique_lock lock(api_mutex());
  if (count == 0 || events == nullptr) return CL_INVALID_VALUE;
  for (cl_uint i = 0; i < count; ++i) {
    if (!valid(events[i])) return CL_INVALID_EVENT;
    if (events[i]->context != events[0]->context) return CL_INVALID_CONTEXT;
  }
  wait_for_host(lock, [&] { return std::none_of(events, events + count, held_by_host); });
  for (cl_uint i = 0; i < count; ++i) {
    if (complete(1, &events[i]) != CL_SUCCESS || resolved(events[i])->status < 0) {
      return CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST;
    }
  }
  return CL_SUCCESS;
}

cl_int CL_API_CALL clGetEventInfo(cl_event event, cl_event_info param, size_t size, void* value,
                                  size_t* size_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(event)) return CL_INVALID_EVENT;
  switch (param) {
    case CL_EVENT_COMMAND_QUEUE:
      return info_value(event->queue, size, value, size_ret);
    case CL_EVENT_CONTEXT:
      return info_value(event->context, size, value, size_ret);
    case CL_EVENT_COMMAND_TYPE:
      return info_value(event->type, size, value, size_ret);
    case CL_EVENT_COMMAND_EXECUTION_STATUS:
      complete(1, &event);
      return info_value(resolved(event)->status, size, value, size_ret);
    case CL_EVENT_REFERENCE_COUNT:
      return info_value(event->references, size, value, size_ret);
    default:
      return CL_INVALID_VALUE;
  }
}

cl_int CL_API_CALL clGetEventProfilingInfo(cl_event event, cl_profiling_info param, size_t size,
                                           void* value, size_t* size_ret) {
  std::lock_guard lock(api_mutex());
  if (!valid(event)) return CL_INVALID_EVENT;
  if (event->queue == nullptr || (event->queue->properties & CL_QUEUE_PROFILING_ENABLE) == 0) {
    return CL_PROFILING_INFO_NOT_AVAILABLE;
  }
  if (const cl_int e = complete(1, &event); e != CL_SUCCESS) return e;
  if (resolved(event)->status != CL_COMPLETE) return CL_PROFILING_INFO_NOT_AVAILABLE;
  event = resolved(event);
  switch (param) {
    case CL_PROFILING_COMMAND_QUEUED:
      return info_value(event->queued, size, value, size_ret);
    case CL_PROFILING_COMMAND_SUBMIT:
      return info_value(event->submit, size, value, size_ret);
    case CL_PROFILING_COMMAND_START:
      return info_value(event->start, size, value, size_ret);
    case CL_PROFILING_COMMAND_END:
    case CL_PROFILING_COMMAND_COMPLETE:
      return info_value(event->end, size, value, size_ret);
    default:
      return CL_INVALID_VALUE;
  }
}

cl_int CL_API_CALL clRetainEvent(cl_event event) {
  std::lock_guard lock(api_mutex());
  if (!valid(event)) return CL_INVALID_EVENT;
  ++event->references;
  return CL_SUCCESS;
}

cl_int CL_API_CALL clReleaseEvent(cl_event event) {
  std::lock_guard lock(api_mutex());
  if (!valid(event)) return CL_INVALID_EVENT;
  release_event(event);
  return CL_SUCCESS;
}

cl_int CL_API_CALL clEnqueueMarkerWithWaitList(cl_command_queue queue, cl_uint waits,
                                               const cl_event* wait_list, cl_event* event) {
  std::lock_guard lock(api_mutex());
  return enqueue_sync_point(queue, CL_COMMAND_MARKER, waits, wait_list, event);
}

cl_int CL_API_CALL clEnqueueBarrierWithWaitList(cl_command_queue queue, cl_uint waits,
                                                const cl_event* wait_list, cl_event* event) {
  std::lock_guard lock(api_mutex());
  return enqueue_sync_point(queue, CL_COMMAND_BARRIER, waits, wait_list, event);
}

cl_int CL_API_CALL clEnqueueMarker(cl_command_queue queue, cl_event* event) {
  if (event == nullptr) return CL_INVALID_VALUE;
  return api::clEnqueueMarkerWithWaitList(queue, 0, nullptr, event);
}

cl_int CL_API_CALL clEnqueueBarrier(cl_command_queue queue) {
  return api::clEnqueueBarrierWithWaitList(queue, 0, nullptr, nullptr);
}

cl_int CL_API_CALL clEnqueueWaitForEvents(cl_command_queue queue, cl_uint count,
                                          const cl_event* events) {
  std::lock_guard lock(api_mutex());
  if (!valid(queue)) return CL_INVALID_COMMAND_QUEUE;
  if (count == 0 || events == nullptr) return CL_INVALID_VALUE;
  if (const cl_int e = check_wait_list(queue->context, count, events); e != CL_SUCCESS) return e;
  return enqueue(queue, CL_COMMAND_MARKER, count, events, nullptr,
                 [](cl_event*) { return CL_SUCCESS; });
}

}  // namespace tessera::icd::api

// Dispatch table entries of this file.
TESSERA_ICD_ENTRY(clEnqueueNDRangeKernel)
TESSERA_ICD_ENTRY(clEnqueueTask)
TESSERA_ICD_ENTRY(clWaitForEvents)
TESSERA_ICD_ENTRY(clGetEventInfo)
TESSERA_ICD_ENTRY(clGetEventProfilingInfo)
TESSERA_ICD_ENTRY(clRetainEvent)
TESSERA_ICD_ENTRY(clReleaseEvent)
TESSERA_ICD_ENTRY(clEnqueueMarkerWithWaitList)
TESSERA_ICD_ENTRY(clEnqueueBarrierWithWaitList)
TESSERA_ICD_ENTRY(clEnqueueMarker)
TESSERA_ICD_ENTRY(clEnqueueBarrier)
TESSERA_ICD_ENTRY(clEnqueueWaitForEvents)
