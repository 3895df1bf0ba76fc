#pragma once

#include <systemc>

namespace tessera::sim {

// A SystemC simulation context of its own. SystemC elaborates once per context and
// keeps the current one in a global; a platform makes its context current before
// every call into SystemC, so several platforms can live in one process and a new
// one can be built after another has run.
class SimulationContext {
 public:
  SimulationContext();
  ~SimulationContext();
  SimulationContext(const SimulationContext&) = delete;
  SimulationContext& operator=(const SimulationContext&) = delete;

  void activate() const;

 private:
  sc_core::sc_simcontext* context_;
};

}  // namespace tessera::sim
