#pragma once

#include <verilated.h>
#if VM_COVERAGE
#include <verilated_cov.h>
#endif

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace tessera::sim {

// In a coverage build (scripts/coverage), a Verilated model's coverage counts go to
// $TESSERA_COVERAGE_DIR/MODEL-PID-N.dat when its driver is destroyed, one file per
// model instance (verilator_coverage merges them). Elsewhere this does nothing.
inline void write_coverage(VerilatedContext& context, const char* model) {
#if VM_COVERAGE
  const char* dir = std::getenv("TESSERA_COVERAGE_DIR");
  if (dir == nullptr || *dir == '\0') return;
  static std::atomic<int> written{0};
  const std::string path = std::string(dir) + "/" + model + "-" + std::to_string(getpid()) + "-" +
                           std::to_string(written++) + ".dat";
  context.coveragep()->write(path.c_str());
#else
  (void)context;
  (void)model;
#endif
}

}  // namespace tessera::sim
