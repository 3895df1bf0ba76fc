#include "platform/simulation_context.hpp"

#include <cstdlib>

namespace tessera::sim {

SimulationContext::SimulationContext() {
  // The banner would land in every CLI output; tessera prints its own.
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  context_ = new sc_core::sc_simcontext;
  activate();
}

SimulationContext::~SimulationContext() {
  activate();
  delete context_;
  sc_core::sc_curr_simcontext = nullptr;
  sc_core::sc_default_global_context = nullptr;
}

void SimulationContext::activate() const {
  sc_core::sc_curr_simcontext = context_;
  sc_core::sc_default_global_context = context_;
}

}  // namespace tessera::sim

// libsystemc's own main() refers to sc_main; tessera drives SystemC from its own
// programs and never calls it.
int sc_main(int, char*[]) { return 1; }

#if defined(__SANITIZE_ADDRESS__)
#include <dlfcn.h>
#include <pthread.h>

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
#endif
