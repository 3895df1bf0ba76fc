#pragma once

// The GEMM engine's checksums and fault hooks as the HLS C model has them, for the
// co-verification of the Verilated engine and of the accelerator top.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "tessera/hls/abft.hpp"
#include "tessera/hls/array_config.hpp"

namespace tessera::testing {

// One GEMM (a matrix job) or GEMV (a vector job: M = 1, K >= the array's rows).
struct EngineJob {
  bool vector;
  int m, n, k;
};

struct EngineModelRun {
  std::vector<std::int32_t> c;
  hls::ChecksumReport checks;
};

// gemm_i8 on the array, or gemv_i8 on W tiled by COLS as the unit's memory holds it,
// with checksums when asked and the fault if any (tiles in the job's order).
EngineModelRun engine_c_model(hls::ArrayShape array, const EngineJob& job,
                              const std::vector<std::int8_t>& a, const std::vector<std::int8_t>& w,
                              bool checksums, const hls::EngineFault* fault);

// A random fault at any engine site that the job has state for: a PE (the checksum
// PEs only with checksums), a result word, or an operand-buffer byte it reads.
hls::EngineFault random_engine_fault(hls::ArrayShape array, const EngineJob& job, std::mt19937& rng,
                                     bool checksums);

std::string describe(const hls::EngineFault& f);

}  // namespace tessera::testing
