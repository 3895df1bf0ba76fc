#include "platform/simulation_context.hpp"

#include <cstdlib>

namespace tessera::sim {

void keep_sanitizer_fibers();  // sanitizer_fibers.cpp

SimulationContext::SimulationContext() {
  keep_sanitizer_fibers();
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
