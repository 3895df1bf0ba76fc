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
struct _cl_device_id : tessera::icd::Object {
  std::string preset;
  tessera::sim::Fidelity fidelity = tessera::sim::Fidelity::kTlm;
  tessera::hls::HardwareConfig config;
  std::unique_ptr<tessera::sim::Platform> platform;
  std::string name() const;
  tessera::sim::Platform& simulator();
};

struct _cl_context : tessera::icd::Object {
  std::vector<cl_device_id> devices;
};

struct _cl_command_queue : tessera::icd::Object {
  cl_context context;
  cl_device_id device;
  cl_command_queue_properties properties;
};

struct _cl_mem : tessera::icd::Object {
  cl_context context;
  cl_mem_flags flags;
  std::size_t size;
  void* host_ptr;  // as given with CL_MEM_USE_HOST_PTR
  // The contents live in one place at a time: the host copy (`current` null) or the
  // simulated memory of one device of the context, where the buffer gets an
  // allocation on first use. Moving them costs host-link time.
  std::vector<std::uint8_t> host_copy;
  struct Allocation {
    cl_device_id device;
    std::uint64_t address;
  };
  std::vector<Allocation> allocations;
  cl_device_id current = nullptr;
  std::vector<std::uint8_t> mapped;  // staging of clEnqueueMapBuffer (without USE_HOST_PTR)
  struct Mapping {
    void* pointer;
    std::size_t offset, size;
    bool writes;
  };
  std::vector<Mapping> mappings;

  // The buffer's address on `device`, with its contents moved there.
  std::uint64_t on_device(cl_device_id device);
  void release_storage();
};

struct _cl_program : tessera::icd::Object {
  cl_context context;
  std::vector<cl_device_id> devices;
  std::vector<std::string> kernel_names;
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
  cl_ulong queued = 0, submit = 0, start = 0, end = 0;  // simulated ns
};
