// Submitted work of a device: kernels run when the host waits for them.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "icd/util.hpp"
#include "tessera/icd/cl_ext_tessera.h"

using namespace tessera::icd;

void _cl_device_id::finish() {
  if (pending.empty() && after_run.empty() && run_scratch.empty()) return;
  tessera::sim::Platform& p = simulator();
  std::vector<PendingKernel> kernels;
  kernels.swap(pending);
  std::vector<std::function<void()>> results;
  results.swap(after_run);
  std::vector<std::uint64_t> scratch;
  scratch.swap(run_scratch);
  auto release_scratch = [&] {
    for (std::uint64_t address : scratch) p.release(address);
  };
  // A checksum error leaves the device's results in place, as the hardware would:
  // they are delivered, and the kernels whose jobs failed end in the error.
  std::optional<tessera::sim::ChecksumError> checksum_error;
  try {
    p.run_until_idle();
  } catch (const tessera::sim::ChecksumError& e) {
    checksum_error = e;
  } catch (...) {
    release_scratch();
    for (const PendingKernel& k : kernels) {
      if (k.event != nullptr) set_status(k.event, CL_OUT_OF_RESOURCES);
    }
    throw;
  }
  for (const auto& deliver : results) deliver();
  release_scratch();
  auto failed = [&](const PendingKernel& k) {
    if (!checksum_error) return false;
    const std::vector<std::uint64_t>& bad = checksum_error->commands();
    return std::any_of(k.commands.begin(), k.commands.end(), [&](std::uint64_t id) {
      return std::find(bad.begin(), bad.end(), id) != bad.end();
    });
  };
  const cl_ulong now = device_time_ns(this);
  for (const PendingKernel& k : kernels) {
    cl_ulong start = now, end = k.queued;
    for (std::uint64_t id : k.commands) {
      const auto t = p.command_times(id);
      start = std::min(start, ns(t.start_seconds));
      end = std::max(end, ns(t.end_seconds));
    }
    // func devices have no simulated time: the kernel ran from its launch until now.
    if (fidelity == tessera::sim::Fidelity::kFunc || k.commands.empty()) {
      start = k.queued;
      end = fidelity == tessera::sim::Fidelity::kFunc ? now : k.queued;
    }
    if (k.event == nullptr) continue;
    k.event->start = std::max(start, k.queued);
    k.event->end = std::max(end, k.event->start);
    set_status(k.event, failed(k) ? CL_CHECKSUM_MISMATCH_TESSERA : CL_COMPLETE);
  }
  // Every command so far has run: no event needs their times any more.
  p.forget_command_times(p.next_command());
  if (checksum_error) throw *checksum_error;
}

void _cl_device_id::settle() {
  finish();
  simulator().wait_for_writes();
}

namespace tessera::icd {

cl_int fail(cl_context context, cl_int code, const std::string& why) {
  static const bool log = [] {
    const char* value = std::getenv("TESSERA_ICD_LOG");
    return value != nullptr && std::string(value) == "1";
  }();
  if (log) std::fprintf(stderr, "tessera ICD: %s (error %d)\n", why.c_str(), code);
  if (context != nullptr && context->notify != nullptr) {
    context->notify(why.c_str(), nullptr, 0, context->notify_data);
  }
  return code;
}

cl_int error_code(const std::exception& e) {
  return dynamic_cast<const tessera::sim::ChecksumError*>(&e) != nullptr
             ? CL_CHECKSUM_MISMATCH_TESSERA
             : CL_OUT_OF_RESOURCES;
}

const char* command_name(cl_command_type type) {
  switch (type) {
    case CL_COMMAND_READ_BUFFER:
      return "clEnqueueReadBuffer";
    case CL_COMMAND_WRITE_BUFFER:
      return "clEnqueueWriteBuffer";
    case CL_COMMAND_FILL_BUFFER:
      return "clEnqueueFillBuffer";
    case CL_COMMAND_COPY_BUFFER:
      return "clEnqueueCopyBuffer";
    case CL_COMMAND_MAP_BUFFER:
      return "clEnqueueMapBuffer";
    case CL_COMMAND_UNMAP_MEM_OBJECT:
      return "clEnqueueUnmapMemObject";
    case CL_COMMAND_MIGRATE_MEM_OBJECTS:
      return "clEnqueueMigrateMemObjects";
    case CL_COMMAND_READ_BUFFER_RECT:
      return "clEnqueueReadBufferRect";
    case CL_COMMAND_WRITE_BUFFER_RECT:
      return "clEnqueueWriteBufferRect";
    case CL_COMMAND_COPY_BUFFER_RECT:
      return "clEnqueueCopyBufferRect";
    default:
      return "command";
  }
}

}  // namespace tessera::icd
