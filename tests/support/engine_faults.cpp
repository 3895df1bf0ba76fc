#include "support/engine_faults.hpp"

#include <gtest/gtest.h>

#include "tessera/hls/kernels.hpp"
#include "tessera/sim/device_abi.hpp"

namespace tessera::testing {
namespace {

std::size_t count(long a, long b) {
  return static_cast<std::size_t>(a) * static_cast<std::size_t>(b);
}

int pick(std::mt19937& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

hls::EngineFault random_matrix_fault(hls::ArrayShape array, const EngineJob& job, std::mt19937& rng,
                                     bool checksums) {
  const int m_tiles = (job.m + array.rows - 1) / array.rows;
  const int n_tiles = (job.n + array.cols - 1) / array.cols;
  hls::EngineFault f;
  f.site = static_cast<hls::EngineSite>(pick(rng, 0, 2));
  f.kind = static_cast<hls::BitFault>(pick(rng, 0, 2));
  f.tile = pick(rng, 0, m_tiles * n_tiles - 1);
  f.step = pick(rng, 0, job.k);
  const int extra = checksums ? 1 : 0;
  switch (f.site) {
    case hls::EngineSite::kAccumulator:
      f.bit = pick(rng, 0, 31);
      do {  // any PE but the corner, which does not exist
        f.row = pick(rng, 0, array.rows - 1 + extra);
        f.col = pick(rng, 0, array.cols - 1 + extra);
      } while (f.row == array.rows && f.col == array.cols);
      break;
    case hls::EngineSite::kResultFifo:
      f.bit = pick(rng, 0, 31);
      f.row = pick(rng, 0, array.rows - 1);
      f.col = pick(rng, 0, array.cols - 1);
      break;
    case hls::EngineSite::kOperandBuffer: {
      f.bit = pick(rng, 0, 7);
      const bool a = pick(rng, 0, 1) == 0;
      f.buffer = a ? hls::OperandBuffer::kA : hls::OperandBuffer::kW;
      f.word = pick(rng, 0, (a ? m_tiles : n_tiles) * job.k - 1);
      f.lane = pick(rng, 0, (a ? array.rows : array.cols) - 1);
      break;
    }
  }
  EXPECT_TRUE(hls::fault_fits(f, array, m_tiles, n_tiles, job.k, checksums)) << describe(f);
  return f;
}

hls::EngineFault random_vector_fault(hls::ArrayShape array, const EngineJob& job, std::mt19937& rng,
                                     bool checksums) {
  const int lanes = array.rows * array.cols;
  hls::EngineFault f;
  f.site = static_cast<hls::EngineSite>(pick(rng, 0, 2));
  f.kind = static_cast<hls::BitFault>(pick(rng, 0, 2));
  f.tile = pick(rng, 0, (job.n + lanes - 1) / lanes - 1);
  f.step = pick(rng, 0, job.k);
  f.bit = pick(rng, 0, f.site == hls::EngineSite::kOperandBuffer ? 7 : 31);
  f.row = pick(rng, 0, array.rows - 1);
  f.col = pick(rng, 0, array.cols - 1);
  if (f.site == hls::EngineSite::kAccumulator && checksums && pick(rng, 0, 4) == 0) {
    f.row = array.rows;  // the vector checksum PE
    f.col = 0;
  }
  if (f.site == hls::EngineSite::kOperandBuffer) {  // an A byte the job broadcasts
    const int byte = pick(rng, 0, job.k - 1);
    f.buffer = hls::OperandBuffer::kA;
    f.word = byte / array.rows;
    f.lane = byte % array.rows;
  }
  EXPECT_TRUE(hls::vector_fault_fits(f, array, job.n, job.k, checksums)) << describe(f);
  return f;
}

}  // namespace

EngineModelRun engine_c_model(hls::ArrayShape array, const EngineJob& job,
                              const std::vector<std::int8_t>& a, const std::vector<std::int8_t>& w,
                              bool checksums, const hls::EngineFault* fault) {
  EngineModelRun run;
  run.c.assign(count(job.m, job.n), 0);
  std::vector<std::uint8_t> w_tiled;
  hls::GemmArgs g;
  g.a = a.data();
  g.w = w.data();
  if (job.vector) {  // W as the unit's memory holds it
    w_tiled.resize(sim::tiled_bytes(job.n, job.k, array.cols));
    sim::pack_tiled(w.data(), job.n, job.k, array.cols, w_tiled.data());
    g.w = reinterpret_cast<const std::int8_t*>(w_tiled.data());
    g.w_tile = array.cols;
  }
  g.m = job.m;
  g.n = job.n;
  g.k = job.k;
  g.c_int32 = run.c.data();
  g.checksums = checksums ? &run.checks : nullptr;
  g.fault = fault;
  const hls::Status status = job.vector ? hls::gemv(array, g) : hls::gemm(array, g);
  EXPECT_TRUE(status == hls::Status::kOk || status == hls::Status::kChecksumMismatch)
      << hls::describe(status);
  return run;
}

hls::EngineFault random_engine_fault(hls::ArrayShape array, const EngineJob& job, std::mt19937& rng,
                                     bool checksums) {
  return job.vector ? random_vector_fault(array, job, rng, checksums)
                    : random_matrix_fault(array, job, rng, checksums);
}

std::string describe(const hls::EngineFault& f) {
  return "site " + std::to_string(static_cast<int>(f.site)) + " kind " +
         std::to_string(static_cast<int>(f.kind)) + " tile " + std::to_string(f.tile) + " step " +
         std::to_string(f.step) + " pe " + std::to_string(f.row) + "," + std::to_string(f.col) +
         " bit " + std::to_string(f.bit) + " word " + std::to_string(f.word) + " lane " +
         std::to_string(f.lane) + " buffer " + std::to_string(static_cast<int>(f.buffer));
}

}  // namespace tessera::testing
