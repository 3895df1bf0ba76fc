#pragma once

#include <filesystem>
#include <string>

namespace tessera::runtime {

// How fast the CPU fallback runs the int8 GEMV, end to end through OpenCL (input
// written, kernel, results read), on this machine: what --place auto weighs the
// accelerator against. A call of M MACs takes seconds_per_call + M / macs_per_second.
struct CpuRate {
  double macs_per_second = 0;
  double seconds_per_call = 0;
  std::string source;  // "measured now" or "cached in FILE"
};

// Measured once per machine (host name, CPU model, cores and the PoCL device) with a
// short calibration (a 1024 x 1024 and a 16 x 16 GEMV, about 0.1 s each, plus
// building the fallback's kernels) and kept in
// `cache` (default_cpu_rate_cache(); empty: measured every time). Throws
// std::runtime_error when the fallback cannot run.
CpuRate cpu_fallback_rate(const std::filesystem::path& cache);
// ${XDG_CACHE_HOME:-~/.cache}/tessera/cpu_rate.json, or empty without either.
std::filesystem::path default_cpu_rate_cache();

}  // namespace tessera::runtime
