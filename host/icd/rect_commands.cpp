// Commands on rectangular (2D and 3D) regions of buffers: each row of the region is
// one transfer, where the contents are (host memory, or over the host link).
#include <algorithm>
#include <array>

#include "icd/buffer_commands.hpp"

using namespace tessera::icd;
namespace sim = tessera::sim;

namespace {

// A region at an origin, with its row and slice pitches in bytes (copies of the
// caller's arrays: a deferred command runs after the call has returned).
struct Rect {
  Rect(const size_t* origin_, const size_t* region_, size_t row_pitch_, size_t slice_pitch_)
      : given(origin_ != nullptr && region_ != nullptr),
        row_pitch(row_pitch_),
        slice_pitch(slice_pitch_) {
    if (!given) return;
    std::copy(origin_, origin_ + 3, origin.begin());
    std::copy(region_, region_ + 3, region.begin());
  }
  bool given;
  std::array<size_t, 3> origin{}, region{};
  size_t row_pitch, slice_pitch;

  // Fills in default pitches and the end; false for a region or pitches the spec
  // rejects, or one whose last byte lies past 2^64 (no buffer or host memory holds it;
  // unchecked, its offsets would wrap around to small ones).
  bool resolve() {
    if (!given || region[0] == 0 || region[1] == 0 || region[2] == 0) return false;
    size_t min_slice = 0;
    if (row_pitch == 0) row_pitch = region[0];
    if (__builtin_mul_overflow(region[1], row_pitch, &min_slice)) return false;
    if (slice_pitch == 0) slice_pitch = min_slice;
    if (row_pitch < region[0] || slice_pitch < min_slice || slice_pitch % row_pitch != 0) {
      return false;
    }
    size_t last_row = 0, last_slice = 0, row_bytes = 0, slice_bytes = 0;
    return !__builtin_add_overflow(origin[1], region[1] - 1, &last_row) &&
           !__builtin_add_overflow(origin[2], region[2] - 1, &last_slice) &&
           !__builtin_mul_overflow(last_row, row_pitch, &row_bytes) &&
           !__builtin_mul_overflow(last_slice, slice_pitch, &slice_bytes) &&
           !__builtin_add_overflow(origin[0], region[0], &end_) &&
           !__builtin_add_overflow(end_, row_bytes, &end_) &&
           !__builtin_add_overflow(end_, slice_bytes, &end_);
  }
  // (offsets of a resolved rectangle's rows are below its end: they do not wrap)
  size_t row_offset(size_t y, size_t z) const {
    return origin[0] + (origin[1] + y) * row_pitch + (origin[2] + z) * slice_pitch;
  }
  size_t end() const { return end_; }

 private:
  size_t end_ = 0;
};

// Calls copy_row(offset in a, offset in b) for each row of the region (a's and b's
// regions are equal).
template <typename CopyRow>
void for_each_row(const Rect& a, const Rect& b, CopyRow&& copy_row) {
  for (size_t z = 0; z < a.region[2]; ++z) {
    for (size_t y = 0; y < a.region[1]; ++y) copy_row(a.row_offset(y, z), b.row_offset(y, z));
  }
}

// The spec's rule for one buffer: the regions overlap if they overlap in every
// dimension (pitches are equal).
bool overlap(const Rect& a, const Rect& b) {
  for (size_t d = 0; d < 3; ++d) {
    const size_t a_end = a.origin[d] + a.region[d], b_end = b.origin[d] + b.region[d];
    if (a_end <= b.origin[d] || b_end <= a.origin[d]) return false;
  }
  return true;
}

// Checks shared by the read and write: queue, buffer, wait list, the two rectangles.
cl_int check_transfer(cl_command_queue queue, cl_mem buffer, Rect& in_buffer, Rect& in_host,
                      const void* ptr, cl_uint waits, const cl_event* wait_list) {
  if (const cl_int e = check_region(queue, buffer, 0, 0, waits, wait_list); e) return e;
  if (ptr == nullptr || !in_buffer.resolve()) return CL_INVALID_VALUE;
  if (!in_host.resolve() || in_buffer.end() > buffer->size) return CL_INVALID_VALUE;
  return CL_SUCCESS;
}

}  // namespace

namespace tessera::icd::api {

cl_int CL_API_CALL clEnqueueReadBufferRect(cl_command_queue queue, cl_mem buffer, cl_bool blocking,
                                           const size_t* buffer_origin, const size_t* host_origin,
                                           const size_t* region, size_t buffer_row_pitch,
                                           size_t buffer_slice_pitch, size_t host_row_pitch,
                                           size_t host_slice_pitch, void* ptr, cl_uint waits,
                                           const cl_event* wait_list, cl_event* event) {
  std::unique_lock lock(api_mutex());
  Rect from{buffer_origin, region, buffer_row_pitch, buffer_slice_pitch};
  Rect to{host_origin, region, host_row_pitch, host_slice_pitch};
  if (const cl_int e = check_transfer(queue, buffer, from, to, ptr, waits, wait_list); e) return e;
  if (!host_may_read(buffer)) return CL_INVALID_OPERATION;
  auto* host = static_cast<std::uint8_t*>(ptr);
  const cl_int e = run_command(
      queue, CL_COMMAND_READ_BUFFER_RECT, waits, wait_list, event, {buffer}, [=](sim::Platform&) {
        for_each_row(from, to,
                     [&](size_t b, size_t h) { read_region(buffer, b, from.region[0], host + h); });
        return cl_ulong{0};
      });
  if (e == CL_SUCCESS) wait_if_blocking(lock, queue, blocking);
  return e;
}

cl_int CL_API_CALL clEnqueueWriteBufferRect(cl_command_queue queue, cl_mem buffer, cl_bool blocking,
                                            const size_t* buffer_origin, const size_t* host_origin,
                                            const size_t* region, size_t buffer_row_pitch,
                                            size_t buffer_slice_pitch, size_t host_row_pitch,
                                            size_t host_slice_pitch, const void* ptr, cl_uint waits,
                                            const cl_event* wait_list, cl_event* event) {
  std::unique_lock lock(api_mutex());
  Rect to{buffer_origin, region, buffer_row_pitch, buffer_slice_pitch};
  Rect from{host_origin, region, host_row_pitch, host_slice_pitch};
  if (const cl_int e = check_transfer(queue, buffer, to, from, ptr, waits, wait_list); e) return e;
  if (!host_may_write(buffer)) return CL_INVALID_OPERATION;
  const auto* host = static_cast<const std::uint8_t*>(ptr);
  const cl_int e = run_command(
      queue, CL_COMMAND_WRITE_BUFFER_RECT, waits, wait_list, event, {buffer}, [=](sim::Platform&) {
        cl_ulong landed = 0;
        for_each_row(to, from, [&](size_t b, size_t h) {
          landed = std::max(landed, write_region(buffer, b, to.region[0], host + h));
        });
        return landed;
      });
  if (e == CL_SUCCESS) wait_if_blocking(lock, queue, blocking);
  return e;
}

// Copies go through the host, row by row, as clEnqueueCopyBuffer does.
cl_int CL_API_CALL clEnqueueCopyBufferRect(cl_command_queue queue, cl_mem source, cl_mem target,
                                           const size_t* source_origin, const size_t* target_origin,
                                           const size_t* region, size_t source_row_pitch,
                                           size_t source_slice_pitch, size_t target_row_pitch,
                                           size_t target_slice_pitch, cl_uint waits,
                                           const cl_event* wait_list, cl_event* event) {
  std::lock_guard lock(api_mutex());
  if (const cl_int e = check_region(queue, source, 0, 0, waits, wait_list); e) return e;
  if (const cl_int e = check_region(queue, target, 0, 0, 0, nullptr); e) return e;
  Rect from{source_origin, region, source_row_pitch, source_slice_pitch};
  Rect to{target_origin, region, target_row_pitch, target_slice_pitch};
  if (!from.resolve() || !to.resolve() || from.end() > source->size || to.end() > target->size) {
    return CL_INVALID_VALUE;
  }
  if (source == target) {
    if (from.row_pitch != to.row_pitch || from.slice_pitch != to.slice_pitch) {
      return CL_INVALID_VALUE;
    }
    if (overlap(from, to)) return CL_MEM_COPY_OVERLAP;
  }
  return run_command(queue, CL_COMMAND_COPY_BUFFER_RECT, waits, wait_list, event, {source, target},
                     [=](sim::Platform&) {
                       std::vector<std::uint8_t> row(from.region[0]);
                       cl_ulong landed = 0;
                       for_each_row(from, to, [&](size_t s, size_t t) {
                         read_region(source, s, row.size(), row.data());
                         landed = std::max(landed, write_region(target, t, row.size(), row.data()));
                       });
                       return landed;
                     });
}

}  // namespace tessera::icd::api

TESSERA_ICD_ENTRY(clEnqueueReadBufferRect)
TESSERA_ICD_ENTRY(clEnqueueWriteBufferRect)
TESSERA_ICD_ENTRY(clEnqueueCopyBufferRect)
