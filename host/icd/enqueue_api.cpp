// Kernel launches and events.
#include "icd/util.hpp"
#include "tessera/numerics/int8.hpp"
#include "tessera/sim/platform_driver.hpp"

using namespace tessera::icd;

namespace {

// tessera_gemm_s8s32(A, W, C, M, N, K): C[m][n] = sum_k A[m][k] * W[n][k], row-major.
// The operands are staged through the host into the device's own layouts (the
// simulated DMA engines read tiled operands), so the launch's time includes those
// transfers; see docs/opencl.md.
cl_int launch_gemm(cl_command_queue queue, cl_kernel kernel, cl_event* event) {
  const auto& args = kernel->args;
  for (const auto& arg : args) {
    if (!arg.set) return CL_INVALID_KERNEL_ARGS;
  }
  cl_mem a = args[0].buffer, w = args[1].buffer, c = args[2].buffer;
  if (a == nullptr || w == nullptr || c == nullptr) return CL_INVALID_KERNEL_ARGS;
  for (cl_mem buffer : {a, w, c}) {
    if (!valid(buffer)) return CL_INVALID_MEM_OBJECT;
    if (buffer->context != queue->context) return CL_INVALID_CONTEXT;
  }
  const std::uint64_t m = args[3].value, n = args[4].value, k = args[5].value;
  if (m * k > a->size || n * k > w->size || 4 * m * n > c->size) return CL_INVALID_VALUE;
  if (k > static_cast<std::uint64_t>(tessera::numerics::kMaxAccumulationDepth)) {
    return CL_INVALID_VALUE;
  }
  tessera::sim::Platform& platform = queue->device->simulator();
  const cl_ulong queued = device_time_ns(queue->device);
  try {
    std::vector<std::int32_t> result(m * n, 0);
    if (m > 0 && n > 0 && k > 0) {
      std::vector<std::int8_t> a_data(m * k), w_data(n * k);
      platform.read(a->on_device(queue->device), a_data.data(), a_data.size());
      platform.read(w->on_device(queue->device), w_data.data(), w_data.size());
      tessera::sim::PlatformDriver driver(platform);
      const auto weights =
          driver.upload_weights(w_data.data(), static_cast<int>(n), static_cast<int>(k));
      tessera::hls::GemmArgs g;
      g.a = a_data.data();
      g.w = w_data.data();
      g.m = static_cast<int>(m);
      g.n = static_cast<int>(n);
      g.k = static_cast<int>(k);
      g.c_int32 = result.data();
      driver.gemm(g, weights);
      platform.release(weights.address);
      driver.release_scratch();
    }
    if (m > 0 && n > 0) {
      platform.write(c->on_device(queue->device), result.data(), 4 * result.size());
      platform.run_until_idle();
    }
  } catch (const std::exception&) {
    return CL_OUT_OF_RESOURCES;
  }
  if (event != nullptr) {
    *event =
        make_event(queue, CL_COMMAND_NDRANGE_KERNEL, queued, queued, device_time_ns(queue->device));
  }
  return CL_SUCCESS;
}

cl_int launch(cl_command_queue queue, cl_kernel kernel, cl_uint waits, const cl_event* wait_list,
              cl_event* event) {
  if (!valid(queue)) return CL_INVALID_COMMAND_QUEUE;
  if (!valid(kernel)) return CL_INVALID_KERNEL;
  if (kernel->program->context != queue->context) return CL_INVALID_CONTEXT;
  if (const cl_int e = check_wait_list(queue->context, waits, wait_list); e != CL_SUCCESS) return e;
  return launch_gemm(queue, kernel, event);
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
  // Built-in kernels run as one work-item: work_dim 1, global size 1.
  if (work_dim < 1 || work_dim > 3) return CL_INVALID_WORK_DIMENSION;
  if (work_dim != 1) return CL_INVALID_WORK_DIMENSION;
  if (global == nullptr || global[0] != 1) return CL_INVALID_GLOBAL_WORK_SIZE;
  if (offset != nullptr && offset[0] != 0) return CL_INVALID_GLOBAL_OFFSET;
  if (local != nullptr && local[0] != 1) return CL_INVALID_WORK_GROUP_SIZE;
  return launch(queue, kernel, waits, wait_list, event);
}

cl_int CL_API_CALL clEnqueueTask(cl_command_queue queue, cl_kernel kernel, cl_uint waits,
                                 const cl_event* wait_list, cl_event* event) {
  std::lock_guard lock(api_mutex());
  return launch(queue, kernel, waits, wait_list, event);
}

cl_int CL_API_CALL clWaitForEvents(cl_uint count, const cl_event* events) {
  std::lock_guard lock(api_mutex());
  if (count == 0 || events == nullptr) return CL_INVALID_VALUE;
  for (cl_uint i = 0; i < count; ++i) {
    if (!valid(events[i])) return CL_INVALID_EVENT;
    if (events[i]->context != events[0]->context) return CL_INVALID_CONTEXT;
  }
  return CL_SUCCESS;  // commands complete when they are enqueued
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
      return info_value(event->status, size, value, size_ret);
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
  if (--event->references == 0) {
    event->alive = false;
    cl_command_queue queue = event->queue;
    if (--queue->references == 0) {
      queue->alive = false;
      if (--queue->context->references == 0) queue->context->alive = false;
    }
  }
  return CL_SUCCESS;
}

cl_int CL_API_CALL clEnqueueMarkerWithWaitList(cl_command_queue queue, cl_uint waits,
                                               const cl_event* wait_list, cl_event* event) {
  std::lock_guard lock(api_mutex());
  if (!valid(queue)) return CL_INVALID_COMMAND_QUEUE;
  if (const cl_int e = check_wait_list(queue->context, waits, wait_list); e != CL_SUCCESS) return e;
  if (event != nullptr) {
    const cl_ulong now = device_time_ns(queue->device);
    *event = make_event(queue, CL_COMMAND_MARKER, now, now, now);
  }
  return CL_SUCCESS;
}

cl_int CL_API_CALL clEnqueueBarrierWithWaitList(cl_command_queue queue, cl_uint waits,
                                                const cl_event* wait_list, cl_event* event) {
  std::lock_guard lock(api_mutex());
  if (!valid(queue)) return CL_INVALID_COMMAND_QUEUE;
  if (const cl_int e = check_wait_list(queue->context, waits, wait_list); e != CL_SUCCESS) return e;
  if (event != nullptr) {
    const cl_ulong now = device_time_ns(queue->device);
    *event = make_event(queue, CL_COMMAND_BARRIER, now, now, now);
  }
  return CL_SUCCESS;
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
  return check_wait_list(queue->context, count, events);
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
