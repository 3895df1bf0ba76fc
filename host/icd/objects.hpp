#pragma once

// The OpenCL objects of the tessera platform. Each starts with the ICD dispatch
// pointer, as the ICD loader requires. Released objects are not freed: they become
// zombies (their resources are gone, their dispatch pointer stays) so that a call
// on a released handle reaches us and gets the spec's error instead of a crash in
// the loader.

#ifndef CL_TARGET_OPENCL_VERSION
#define CL_TARGET_OPENCL_VERSION 300
#endif
#include <CL/cl_icd.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tessera/hls/hardware_config.hpp"
#include "tessera/sim/platform.hpp"

namespace tessera::icd {

// Every entry point holds this lock: the simulated devices are single-threaded.
std::recursive_mutex& api_mutex();
cl_icd_dispatch* dispatch_table();

// The start of every object: the loader reads the dispatch pointer at offset 0.
struct Object {
  cl_icd_dispatch* dispatch = nullptr;
  cl_uint references = 1;
  bool alive = true;
};

}  // namespace tessera::icd

struct _cl_platform_id : tessera::icd::Object {};

// One device per (preset, fidelity); its simulated platform is built on first use.
// Kernels are submitted as they are enqueued and run when the host waits for
// something (a blocking read, clFinish, an event's status or times): the commands
// enqueued since the last wait form one submission, as a driver's command buffer.
struct _cl_device_id : tessera::icd::Object {
  std::string preset;
  tessera::sim::Fidelity fidelity = tessera::sim::Fidelity::kTlm;
  tessera::hls::HardwareConfig config;
  std::unique_ptr<tessera::sim::Platform> platform;
  std::string name() const;
  tessera::sim::Platform& simulator();

  // A launched kernel whose commands have not been waited for.
  struct PendingKernel {
    cl_event event;  // null when the caller did not ask for one
    std::vector<std::uint64_t> commands;
    cl_ulong queued;
  };
  std::vector<PendingKernel> pending;
  std::vector<std::function<void()>> after_run;  // results into buffers, once they are back
  std::vector<std::uint64_t> run_scratch;        // allocations freed after the run
  // Runs what was submitted, then completes the pending kernels and their events.
  // Throws tessera::sim::DeviceError when a unit refused a command, and
  // tessera::sim::ChecksumError (after delivering the results and completing the
  // events, those of the failed kernels in CL_CHECKSUM_MISMATCH_TESSERA) when only
  // GEMM checksums failed.
  void finish();
  // finish(), and then waits until every posted write has landed: the device is idle.
  void settle();
};

struct _cl_context : tessera::icd::Object {
  std::vector<cl_device_id> devices;
  std::vector<cl_context_properties> properties;  // as given, 0-terminated, or empty
  void(CL_CALLBACK* notify)(const char*, const void*, size_t, void*) = nullptr;
  void* notify_data = nullptr;
};

struct _cl_command_queue : tessera::icd::Object {
  cl_context context;
  cl_device_id device;
  cl_command_queue_properties properties;
  // Commands held back by a user event in their wait list (or by an earlier held
  // command: the queue is in order), each with the event the caller was given. They
  // run, in order, once their waits are complete (user_events.cpp).
  struct Deferred {
    std::vector<cl_event> waits;
    cl_event placeholder;  // null when the caller asked for no event
    std::function<cl_int(cl_event*)> run;
  };
  std::deque<Deferred> deferred;
};

struct _cl_mem : tessera::icd::Object {
  cl_context context;
  cl_mem_flags flags;
  std::size_t size;
  void* host_ptr;  // as given with CL_MEM_USE_HOST_PTR (a sub-buffer's: parent's + origin)
  // A sub-buffer is bytes [origin, origin + size) of its parent's storage: the
  // storage members below belong to the parent, which keeps them until its last
  // sub-buffer is released.
  cl_mem parent = nullptr;
  std::size_t origin = 0;
  std::vector<cl_mem> sub_buffers;  // of a buffer, live ones
  struct Destructor {
    void(CL_CALLBACK* notify)(cl_mem, void*);
    void* user_data;
  };
  std::vector<Destructor> destructors;  // called last-registered first, on deletion
  _cl_mem& storage() { return parent != nullptr ? *parent : *this; }
  // The contents live in one place at a time: the host copy (`current` null) or the
  // simulated memory of one device of the context, where the buffer gets an
  // allocation on first use. Moving them costs host-link time.
  std::vector<std::uint8_t> host_copy;
  bool defined = false;     // false until something writes the contents: nothing to move
  int pending_results = 0;  // submitted kernels whose results for this buffer are not in
  struct Allocation {
    cl_device_id device;
    std::uint64_t address;
  };
  std::vector<Allocation> allocations;
  cl_device_id current = nullptr;
  // What a built-in kernel left in the buffer, in the device's own layout
  // (docs/opencl.md); any other write makes it plain bytes again.
  struct Layout {
    enum class Kind { kPlain, kPackedWeights, kKvCache } kind = Kind::kPlain;
    cl_device_id device = nullptr;
    std::uint32_t n = 0, k = 0;                                 // packed weights
    std::uint32_t n_kv_heads = 0, head_size = 0, capacity = 0;  // K/V cache
    std::uint32_t filled = 0;  // K/V cache: positions below this have been appended
  } layout;
  std::vector<std::uint8_t> mapped;  // staging of clEnqueueMapBuffer (without USE_HOST_PTR)
  struct Mapping {
    void* pointer;
    std::size_t offset, size;
    bool writes;
  };
  std::vector<Mapping> mappings;

  // The buffer's address on `device`, with its contents moved there (a posted write
  // over the host link when they were elsewhere).
  std::uint64_t on_device(cl_device_id device);
  // The buffer's address on `device` for a command that overwrites the contents:
  // nothing moves, and the device holds the contents from then on.
  std::uint64_t overwritten_on_device(cl_device_id device);
  // The contents in host memory (read back over the host link if a device held them).
  std::uint8_t* on_host();
  // The bytes in host memory, while the contents are there (`storage().current` null).
  std::uint8_t* host_bytes() { return storage().host_copy.data() + origin; }
  // A write of bytes [offset, offset + bytes): those contents are plain again, here
  // and in the parent and sub-buffers that share them.
  void written(std::size_t offset, std::size_t bytes);
  // Called when the reference count reaches 0: frees the storage (unless sub-buffers
  // still use it) and calls the destructor callbacks.
  void deleted();
  void release_storage();
  // The buffer's allocation on `device` (made on first use), which now holds the
  // contents; nothing moves.
  std::uint64_t placed_on(cl_device_id device);
};

// A program of built-in kernels, or one created from OpenCL C source, which the
// devices (no compiler) cannot build: it has source and no kernels.
struct _cl_program : tessera::icd::Object {
  cl_context context;
  std::vector<cl_device_id> devices;
  std::vector<std::string> kernel_names;
  bool from_source = false;
  std::string source;
  cl_build_status build_status = CL_BUILD_SUCCESS;  // CL_BUILD_NONE/ERROR from source
  std::string build_options;
};

struct _cl_kernel : tessera::icd::Object {
  cl_program program;
  std::string name;
  struct Arg {
    bool set = false;
    cl_mem buffer = nullptr;
    cl_uint value = 0;
  };
  std::vector<Arg> args;
};

struct _cl_event : tessera::icd::Object {
  cl_context context;
  cl_command_queue queue;  // null for user events
  cl_command_type type;
  cl_int status;
  // A deferred command's event stands for the event of the command once it runs.
  cl_event forward = nullptr;
  struct Callback {
    cl_int on_status;  // CL_SUBMITTED, CL_RUNNING or CL_COMPLETE
    void(CL_CALLBACK* notify)(cl_event, cl_int, void*);
    void* user_data;
    cl_event handle;  // the event the caller registered on
  };
  std::vector<Callback> callbacks;
  // Simulated ns on timed devices; host wall-clock ns (steady clock) on func devices,
  // which have no simulated time.
  cl_ulong queued = 0, submit = 0, start = 0, end = 0;
};
