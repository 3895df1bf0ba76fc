// Kernel launches and events.
#include "icd/util.hpp"
#include "tessera/numerics/int8.hpp"
#include "tessera/sim/platform_driver.hpp"

using namespace tessera::icd;

namespace {

// The arguments' buffers: set, alive and of the queue's context.
cl_int check_buffers(cl_command_queue queue, const std::vector<_cl_kernel::Arg>& args,
                     std::size_t count) {
  for (const auto& arg : args) {
    if (!arg.set) return CL_INVALID_KERNEL_ARGS;
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (args[i].buffer == nullptr) return CL_INVALID_KERNEL_ARGS;
    if (!valid(args[i].buffer)) return CL_INVALID_MEM_OBJECT;
    if (args[i].buffer->context != queue->context) return CL_INVALID_CONTEXT;
  }
  return CL_SUCCESS;
}

// tessera_gemm_s8s32(A, W, C, M, N, K): C[m][n] = sum_k A[m][k] * W[n][k], row-major.
// The operands are staged through the host into the device's own layouts (the
// simulated DMA engines read tiled operands), so the launch's time includes those
// transfers; see docs/opencl.md.
cl_int launch_gemm(cl_command_queue queue, cl_kernel kernel, cl_event* event) {
  const auto& args = kernel->args;
  if (const cl_int e = check_buffers(queue, args, 3); e != CL_SUCCESS) return e;
  cl_mem a = args[0].buffer, w = args[1].buffer, c = args[2].buffer;
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

// Reads a buffer's first `bytes` from the device into host memory.
template <typename T>
std::vector<T> fetch(tessera::sim::Platform& platform, cl_mem buffer, cl_device_id device,
                     std::size_t count) {
  std::vector<T> data(count);
  if (count > 0) platform.read(buffer->on_device(device), data.data(), count * sizeof(T));
  return data;
}

// tessera_attention_s8(q, q_scale, k, k_scale, v, v_scale, out, norm, n_queries,
// first_position, n_heads, n_kv_heads, head_size): the layouts of hls::AttentionArgs
// (docs/opencl.md). The records the attention units read are built through the host.
cl_int launch_attention(cl_command_queue queue, cl_kernel kernel, cl_event* event) {
  const auto& args = kernel->args;
  if (const cl_int e = check_buffers(queue, args, 8); e != CL_SUCCESS) return e;
  const std::uint64_t queries = args[8].value, first = args[9].value, heads = args[10].value,
                      kv_heads = args[11].value, head_size = args[12].value;
  const std::uint64_t positions = first + queries, rows = queries * heads;
  const tessera::hls::HardwareConfig& config = queue->device->config;
  if (queries == 0 || heads == 0 || kv_heads == 0 || head_size == 0 || heads % kv_heads != 0 ||
      head_size > static_cast<std::uint64_t>(config.attention.head_size_max) ||
      positions > static_cast<std::uint64_t>(config.attention.context_max)) {
    return CL_INVALID_VALUE;
  }
  const std::uint64_t kv_bytes = positions * kv_heads * head_size, kv_scales = positions * kv_heads;
  const std::uint64_t needed[8] = {rows * head_size,     rows * 4, kv_bytes,
                                   kv_scales * 4,        kv_bytes, kv_scales * 4,
                                   rows * head_size * 4, rows * 24};
  for (int i = 0; i < 8; ++i) {
    if (needed[i] > args[static_cast<std::size_t>(i)].buffer->size) return CL_INVALID_VALUE;
  }
  tessera::sim::Platform& platform = queue->device->simulator();
  const cl_ulong queued = device_time_ns(queue->device);
  try {
    cl_device_id d = queue->device;
    const auto q = fetch<std::int8_t>(platform, args[0].buffer, d, rows * head_size);
    const auto q_scale = fetch<float>(platform, args[1].buffer, d, rows);
    const auto k = fetch<std::int8_t>(platform, args[2].buffer, d, kv_bytes);
    const auto k_scale = fetch<float>(platform, args[3].buffer, d, kv_scales);
    const auto v = fetch<std::int8_t>(platform, args[4].buffer, d, kv_bytes);
    const auto v_scale = fetch<float>(platform, args[5].buffer, d, kv_scales);
    std::vector<std::int32_t> out(rows * head_size);
    std::vector<tessera::numerics::AttentionNorm> norms(rows);
    tessera::hls::AttentionArgs g;
    g.q = q.data();
    g.q_scale = q_scale.data();
    g.k = k.data();
    g.k_scale = k_scale.data();
    g.v = v.data();
    g.v_scale = v_scale.data();
    g.n_queries = static_cast<int>(queries);
    g.first_position = static_cast<int>(first);
    g.n_heads = static_cast<int>(heads);
    g.n_kv_heads = static_cast<int>(kv_heads);
    g.head_size = static_cast<int>(head_size);
    g.out = out.data();
    g.norm = norms.data();
    tessera::sim::PlatformDriver driver(platform);
    auto cache = driver.allocate_kv_cache(g.n_kv_heads, g.head_size, static_cast<int>(positions));
    driver.attention(g, cache);
    driver.release_kv_cache(cache);
    driver.release_scratch();
    std::vector<std::int64_t> norm_words;
    for (const auto& n : norms) {
      norm_words.insert(norm_words.end(), {n.max_weight, static_cast<std::int64_t>(n.exp_sum),
                                           static_cast<std::int64_t>(n.exponent)});
    }
    platform.write(args[6].buffer->on_device(d), out.data(), out.size() * 4);
    platform.write(args[7].buffer->on_device(d), norm_words.data(), norm_words.size() * 8);
    platform.run_until_idle();
  } catch (const std::exception&) {
    return CL_OUT_OF_RESOURCES;
  }
  if (event != nullptr) {
    *event =
        make_event(queue, CL_COMMAND_NDRANGE_KERNEL, queued, queued, device_time_ns(queue->device));
  }
  return CL_SUCCESS;
}

// A marker or barrier: commands complete when enqueued, so it completes at once.
cl_int enqueue_sync_point(cl_command_queue queue, cl_command_type type, cl_uint waits,
                          const cl_event* wait_list, cl_event* event) {
  if (!valid(queue)) return CL_INVALID_COMMAND_QUEUE;
  if (const cl_int e = check_wait_list(queue->context, waits, wait_list); e != CL_SUCCESS) return e;
  if (event != nullptr) {
    const cl_ulong now = device_time_ns(queue->device);
    *event = make_event(queue, type, now, now, now);
  }
  return CL_SUCCESS;
}

cl_int launch(cl_command_queue queue, cl_kernel kernel, cl_uint waits, const cl_event* wait_list,
              cl_event* event) {
  if (!valid(queue)) return CL_INVALID_COMMAND_QUEUE;
  if (!valid(kernel)) return CL_INVALID_KERNEL;
  if (kernel->program->context != queue->context) return CL_INVALID_CONTEXT;
  if (const cl_int e = check_wait_list(queue->context, waits, wait_list); e != CL_SUCCESS) return e;
  if (kernel->name == "tessera_attention_s8") return launch_attention(queue, kernel, event);
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
