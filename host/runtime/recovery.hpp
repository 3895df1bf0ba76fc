#pragma once

// Re-executing what the accelerator reports wrong (docs/reliability.md "Recovery").

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "runtime/int8_model.hpp"

namespace tessera::runtime {

// An op whose results the accelerator reported wrong: its GEMM engines' checksums
// disagreed (CL_CHECKSUM_MISMATCH_TESSERA). Running the op again is safe.
class ChecksumMismatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// GEMMs the accelerator reported wrong, and where they ran again.
struct Recovery {
  std::uint64_t checksum_errors = 0, on_accelerator = 0, on_cpu = 0;
};

// Runs `calls` on `accelerator`; when it reports them wrong, once more there (a
// transient fault is gone by then), and if that fails too, on `cpu`. Counts into
// `counts`.
void gemms_recovering(Int8Kernels& accelerator, Int8Kernels& cpu,
                      const std::vector<hls::GemmArgs>& calls, Recovery& counts);

}  // namespace tessera::runtime
