#pragma once

#include <cstring>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "icd/objects.hpp"

namespace tessera::icd {

// Answers a clGet*Info query with `size` bytes at `value`.
inline cl_int info(const void* value, std::size_t size, std::size_t param_value_size,
                   void* param_value, std::size_t* param_value_size_ret) {
  if (param_value != nullptr) {
    if (param_value_size < size) return CL_INVALID_VALUE;
    std::memcpy(param_value, value, size);
  }
  if (param_value_size_ret != nullptr) *param_value_size_ret = size;
  return CL_SUCCESS;
}
template <typename T>
cl_int info_value(const T& value, std::size_t size, void* out, std::size_t* size_ret) {
  return info(&value, sizeof(T), size, out, size_ret);
}
inline cl_int info_string(const std::string& value, std::size_t size, void* out,
                          std::size_t* size_ret) {
  return info(value.c_str(), value.size() + 1, size, out, size_ret);
}
template <typename T>
cl_int info_vector(const std::vector<T>& value, std::size_t size, void* out,
                   std::size_t* size_ret) {
  return info(value.data(), value.size() * sizeof(T), size, out, size_ret);
}

inline void set_error(cl_int* errcode_ret, cl_int code) {
  if (errcode_ret != nullptr) *errcode_ret = code;
}

// Handle checks: a handle is valid when it is one of ours and not released.
cl_platform_id the_platform();
const std::vector<cl_device_id>& devices();
bool valid(cl_platform_id platform);
// clGetDeviceIDs' rule: CL_DEVICE_TYPE_ALL or a non-empty set of the known type bits.
bool valid_device_type(cl_device_type type);
std::vector<cl_device_id> devices_of_type(cl_device_type type);
// Every device's extension string (the platform's adds cl_khr_icd).
std::string device_extensions();
bool valid(cl_device_id device);
bool valid(cl_context context);
bool valid(cl_command_queue queue);
bool valid(cl_mem buffer);
bool valid(cl_program program);
bool valid(cl_kernel kernel);
bool valid(cl_event event);
// Each drops one reference; the last one ends the object and drops the reference it
// held on the object it belongs to (queue, program, buffer and user event: their
// context; kernel: its program; event: its queue, and the event it stands for).
void release_context(cl_context context);
void release_queue(cl_command_queue queue);
void release_program(cl_program program);
void release_kernel(cl_kernel kernel);
void release_event(cl_event event);
void release_buffer(cl_mem buffer);
// Remembers an object so that valid() knows it (objects are never freed).
void track(void* object);

// The event a deferred command's placeholder stands for, once it has run.
cl_event resolved(cl_event event);
// An event only the host can complete: a user event not yet set, or the event of a
// deferred command that has not run (the only events in CL_QUEUED).
bool held_by_host(cl_event event);
// Sets the status (of the event it stands for) and calls the callbacks it reaches.
void set_status(cl_event event, cl_int status);
// Calls the callback now if the event has reached its status, else keeps it.
void add_callback(cl_event event, const _cl_event::Callback& callback);
// Runs the submissions the events belong to, so that they complete (not those held
// by the host: user events and deferred commands).
cl_int complete(cl_uint count, const cl_event* events);
// Whether a command with this wait list has to wait for the host (user_events.cpp).
bool is_deferred(cl_command_queue queue, cl_uint count, const cl_event* events);
// Runs `command` after the events of the wait list (checked by the caller), or
// defers it until a user event lets it run; `command` gives its event (if asked).
cl_int enqueue(cl_command_queue queue, cl_command_type type, cl_uint count, const cl_event* events,
               cl_event* event, std::function<cl_int(cl_event*)> command);
// Runs the deferred commands the host's user events have released.
void run_deferred();
// Releases the API lock until `done` (a user event set on another thread).
void wait_for_host(std::unique_lock<std::recursive_mutex>& lock, const std::function<bool()>& done);

// CL_SUCCESS or the spec's error for an event wait list used on `context`.
cl_int check_wait_list(cl_context context, cl_uint count, const cl_event* events);
// A new event of `queue` (which it holds), or of `context` for a user event (null queue).
cl_event new_event(cl_context context, cl_command_queue queue, cl_command_type type, cl_int status);
// A completed event of `queue` for a command that ran from `start` to `end` (ns).
cl_event make_event(cl_command_queue queue, cl_command_type type, cl_ulong queued, cl_ulong start,
                    cl_ulong end);
// Bytes into the buffer's contents where they are: into host memory while they are
// there (they cross the link when a kernel needs them), else a posted write. Returns
// when the bytes have landed (simulated ns; 0: at once). The contents become plain
// bytes (no packed layout).
cl_ulong write_region(cl_mem buffer, std::size_t offset, std::size_t size, const void* data);

// Simulated seconds as the ns of event timestamps.
inline cl_ulong ns(double seconds) { return static_cast<cl_ulong>(seconds * 1e9 + 0.5); }

// The device's clock: simulated ns, or host wall-clock ns on func devices.
cl_ulong device_time_ns(cl_device_id device);

// Returns `code` after telling the context's pfn_notify (and stderr when
// TESSERA_ICD_LOG=1) why the call failed.
cl_int fail(cl_context context, cl_int code, const std::string& why);
// The error for a failed device run: CL_CHECKSUM_MISMATCH_TESSERA when the GEMM
// engines' checksums disagreed, else CL_OUT_OF_RESOURCES.
cl_int error_code(const std::exception& e);
const char* command_name(cl_command_type type);

// The built-in kernels: names, argument counts and how each runs (kernels.cpp).
struct BuiltInKernel {
  const char* name;
  cl_uint arguments;
  cl_uint buffer_arguments;  // the first ones are buffers, the rest cl_uint
  // Checks the arguments and submits the kernel; returns CL_SUCCESS or the error
  // (after fail() has said why). `event` is null when the caller wants none.
  cl_int (*launch)(cl_command_queue queue, cl_kernel kernel, cl_event* event);
};
const std::vector<BuiltInKernel>& built_in_kernels();
const BuiltInKernel* find_built_in(const std::string& name);
std::string built_in_kernel_list();  // "a;b"

}  // namespace tessera::icd

// cl_tessera_faults (faults_api.cpp): the extension function, and the answer to
// clGetDeviceInfo(CL_DEVICE_FAULT_JSON_TESSERA).
namespace tessera::icd::api {
cl_int CL_API_CALL clArmFaultTESSERA(cl_device_id device, const char* site, const char* kind,
                                     cl_ulong event, cl_ulong seed);
cl_int fault_json(cl_device_id device, size_t size, void* value, size_t* size_ret);
}  // namespace tessera::icd::api

// Puts tessera::icd::api::NAME into the dispatch table when the library loads.
#define TESSERA_ICD_ENTRY(name)                                 \
  [[maybe_unused]] static const bool tessera_icd_entry_##name = \
      (tessera::icd::dispatch_table()->name = &tessera::icd::api::name, true);
