// Linked into every program that runs SystemC (see sim/CMakeLists.txt).
#if defined(__SANITIZE_ADDRESS__)
#include <dlfcn.h>
#include <pthread.h>
#include <sanitizer/asan_interface.h>

#include <cstddef>
// SystemC 2.3.4 tells AddressSanitizer about its coroutine switches, but when it
// switches back to the thread's own stack it passes an empty stack (null, 0).
// AddressSanitizer then loses track of the real stack and leaves the frames of every
// later exception poisoned, which shows up as false "unknown-crash" reports (see
// github.com/google/sanitizers/issues/189). This definition takes precedence over
// the sanitizer runtime's and fills in the thread's real stack.
extern "C" void __sanitizer_start_switch_fiber(void** fake_stack_save, const void* bottom,
                                               size_t size) {
  using Start = void (*)(void**, const void*, size_t);
  static const auto real =
      reinterpret_cast<Start>(dlsym(RTLD_NEXT, "__sanitizer_start_switch_fiber"));
  if (bottom == nullptr && size == 0) {
    thread_local void* stack_bottom = nullptr;
    thread_local size_t stack_size = 0;
    if (stack_bottom == nullptr) {
      pthread_attr_t attributes;
      pthread_getattr_np(pthread_self(), &attributes);
      pthread_attr_getstack(&attributes, &stack_bottom, &stack_size);
      pthread_attr_destroy(&attributes);
    }
    bottom = stack_bottom;
    size = stack_size;
  }
  real(fake_stack_save, bottom, size);
}

// SystemC maps each coroutine's stack and unmaps it when the simulation ends, often
// with frames still on it (threads that never return). This AddressSanitizer does
// not clear the shadow of unmapped memory, so a later mapping at the same address
// (the next simulation's stacks) inherits the old frames' poison and a new frame
// writing there is reported as stack-use-after-scope (intermittently, as it depends
// on where the stacks land). Clearing the shadow as the memory is unmapped fixes it.
extern "C" int munmap(void* address, size_t length) {
  using Unmap = int (*)(void*, size_t);
  static const auto real = reinterpret_cast<Unmap>(dlsym(RTLD_NEXT, "munmap"));
  __asan_unpoison_memory_region(address, length);
  return real(address, length);
}
#endif

namespace tessera::sim {
// Referenced by SimulationContext so that the linker keeps this file in every
// program that runs SystemC (nothing else refers to it by name).
void keep_sanitizer_fibers() {}
}  // namespace tessera::sim
