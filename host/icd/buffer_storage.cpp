// Buffer storage: where a buffer's contents are (host memory or one device's
// memory), sub-buffers' share of their parent's, and deletion.
#include <algorithm>

#include "icd/util.hpp"

using namespace tessera::icd;

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
  // (swapped out, not assigned {}: assignment keeps the capacity, and a released
  // buffer stays known to the ICD until the process ends)
  std::vector<std::uint8_t>().swap(host_copy);
  std::vector<std::uint8_t>().swap(mapped);
  current = nullptr;
}

void _cl_mem::deleted() {
  if (!sub_buffers.empty()) return;  // the last sub-buffer's deletion comes back here
  std::vector<std::uint8_t>().swap(mapped);
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
  release_context(buffer->context);
}

}  // namespace tessera::icd
