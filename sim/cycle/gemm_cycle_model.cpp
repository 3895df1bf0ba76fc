#include "tessera/sim/gemm_cycle_model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "tessera/hls/abft.hpp"

namespace tessera::sim {

std::uint64_t gemm_tile_period(hls::ArrayShape array, int k, bool checksums) {
  const auto cols = static_cast<std::uint64_t>(array.cols) + (checksums ? 1 : 0);
  return std::max<std::uint64_t>(static_cast<std::uint64_t>(k), cols + 1);
}

GemmTiming gemm_timing(hls::ArrayShape array, int buffer_words, int m, int n, int k, bool preloaded,
                       double operand_words_per_cycle, bool checksums) {
  if (m <= 0 || n <= 0 || k <= 0 || k > buffer_words || array.rows <= 0 || array.cols <= 0 ||
      !(operand_words_per_cycle > 0)) {
    throw std::invalid_argument("gemm_timing: sizes must be positive and K fit the buffers");
  }
  const std::uint64_t rows = static_cast<std::uint64_t>(array.rows),
                      cols = static_cast<std::uint64_t>(array.cols);
  const int m_tiles = (m + array.rows - 1) / array.rows,
            n_tiles = (n + array.cols - 1) / array.cols;
  const int per_job = std::max(1, buffer_words / k);
  const std::uint64_t period = gemm_tile_period(array, k, checksums);
  // The checksum row and column deepen the skew by one each; the checker adds one.
  const std::uint64_t edges = rows + cols + 2 + (checksums ? 3 : 0);
  GemmTiming t;
  for (int mt0 = 0; mt0 < m_tiles; mt0 += per_job) {
    for (int nt0 = 0; nt0 < n_tiles; nt0 += per_job) {
      const auto job_m = static_cast<std::uint64_t>(std::min(per_job, m_tiles - mt0));
      const auto job_n = static_cast<std::uint64_t>(std::min(per_job, n_tiles - nt0));
      const std::uint64_t a_words = job_m * static_cast<std::uint64_t>(k);
      const std::uint64_t w_words = job_n * static_cast<std::uint64_t>(k);
      const std::uint64_t load =
          preloaded
              ? 0
              : static_cast<std::uint64_t>(std::ceil(
                    static_cast<double>(std::max(a_words, w_words)) / operand_words_per_cycle));
      const std::uint64_t compute = job_m * job_n * period + edges;
      t.load_cycles += load;
      t.compute_cycles += compute;
      t.total_cycles += load + compute + (preloaded ? 2 : 1);
      t.operand_bytes += a_words * rows + w_words * cols;
      t.result_bytes += job_m * job_n * rows * cols * 4;
      ++t.jobs;
    }
  }
  return t;
}

GemmTiming gemv_timing(hls::ArrayShape array, int n, int k, bool preloaded,
                       double a_words_per_cycle, bool checksums) {
  if (n <= 0 || k < array.rows || array.rows <= 0 || array.cols <= 0 || !(a_words_per_cycle > 0)) {
    throw std::invalid_argument("gemv_timing: N must be positive and K at least ROWS");
  }
  const auto rows = static_cast<std::uint64_t>(array.rows),
             cols = static_cast<std::uint64_t>(array.cols);
  const std::uint64_t tiles = (static_cast<std::uint64_t>(n) + rows * cols - 1) / (rows * cols);
  const std::uint64_t a_words = (static_cast<std::uint64_t>(k) + rows - 1) / rows;
  GemmTiming t;
  t.load_cycles =
      preloaded
          ? 0
          : static_cast<std::uint64_t>(std::ceil(static_cast<double>(a_words) / a_words_per_cycle));
  // The vector checksum PE runs behind the adder tree over a beat's lanes, the
  // tile's results drain in ROWS beats meanwhile; the checker compares when both are
  // there (rtl/gemm/tessera_gemm_engine.sv).
  const auto tree = static_cast<std::uint64_t>(hls::vector_checksum_tree_levels(array));
  const std::uint64_t check_cycles = tree + 1 > rows + 2 ? tree + 1 - rows : 2;
  t.compute_cycles =
      tiles * static_cast<std::uint64_t>(k) + rows + 3 + (checksums ? check_cycles : 0);
  t.total_cycles = t.load_cycles + t.compute_cycles + (preloaded ? 2 : 1);
  t.jobs = 1;
  t.operand_bytes = a_words * rows + tiles * static_cast<std::uint64_t>(k) * rows * cols;
  t.result_bytes = tiles * rows * cols * 4;
  return t;
}

}  // namespace tessera::sim
