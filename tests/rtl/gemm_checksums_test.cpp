// Co-verification of the engine's checksums and fault hooks: the Verilated 8x8 engine
// with CHECKSUMS = 1 against the HLS C model (gemm_i8 and gemv_i8 with checksums and
// the same EngineFault, an independent implementation of the same fault semantics),
// bit for bit and tile for tile, in matrix and vector jobs, and its cycles against the
// cycle model's charge for them.
#include <gtest/gtest.h>

#include <random>

#include "support/random_data.hpp"
#include "tessera/hls/kernels.hpp"
#include "tessera/sim/device_abi.hpp"
#include "tessera/sim/gemm_cycle_model.hpp"
#include "tessera/sim/rtl_gemm.hpp"

namespace tessera::sim {
namespace {

using testing::random_int8;

constexpr hls::ArrayShape kArray{8, 8};

std::size_t count(int a, int b) {
  return static_cast<std::size_t>(a) * static_cast<std::size_t>(b);
}

struct ModelRun {
  std::vector<std::int32_t> c;
  hls::ChecksumReport checks;
};

// gemm_i8 on the array, with checksums when asked and the fault if any.
ModelRun c_model(const std::vector<std::int8_t>& a, const std::vector<std::int8_t>& w, int m, int n,
                 int k, bool checksums, const hls::EngineFault* fault) {
  ModelRun run;
  run.c.assign(count(m, n), 0);
  hls::GemmArgs g;
  g.a = a.data();
  g.w = w.data();
  g.m = m;
  g.n = n;
  g.k = k;
  g.c_int32 = run.c.data();
  g.checksums = checksums ? &run.checks : nullptr;
  g.fault = fault;
  const hls::Status status = hls::gemm(kArray, g);
  EXPECT_TRUE(status == hls::Status::kOk || status == hls::Status::kChecksumMismatch)
      << hls::describe(status);
  return run;
}

// A random fault the engine has state for (the checksum PEs only with checksums).
hls::EngineFault random_fault(std::mt19937& rng, int m_tiles, int n_tiles, int k, bool checksums) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  hls::EngineFault f;
  f.site = static_cast<hls::EngineSite>(pick(0, 2));
  f.kind = static_cast<hls::BitFault>(pick(0, 2));
  f.tile = pick(0, m_tiles * n_tiles - 1);
  f.step = pick(0, k);
  const int extra = checksums ? 1 : 0;
  switch (f.site) {
    case hls::EngineSite::kAccumulator:
      f.bit = pick(0, 31);
      do {
        f.row = pick(0, kArray.rows - 1 + extra);
        f.col = pick(0, kArray.cols - 1 + extra);
      } while (f.row == kArray.rows && f.col == kArray.cols);
      break;
    case hls::EngineSite::kResultFifo:
      f.bit = pick(0, 31);
      f.row = pick(0, kArray.rows - 1);
      f.col = pick(0, kArray.cols - 1);
      break;
    case hls::EngineSite::kOperandBuffer:
      f.bit = pick(0, 7);
      f.buffer = pick(0, 1) == 0 ? hls::OperandBuffer::kA : hls::OperandBuffer::kW;
      f.word = pick(0, (f.buffer == hls::OperandBuffer::kA ? m_tiles : n_tiles) * k - 1);
      f.lane = pick(0, 7);
      break;
  }
  EXPECT_TRUE(hls::fault_fits(f, kArray, m_tiles, n_tiles, k, checksums));
  return f;
}

std::string describe(const hls::EngineFault& f) {
  return "site " + std::to_string(static_cast<int>(f.site)) + " kind " +
         std::to_string(static_cast<int>(f.kind)) + " tile " + std::to_string(f.tile) + " step " +
         std::to_string(f.step) + " pe " + std::to_string(f.row) + "," + std::to_string(f.col) +
         " bit " + std::to_string(f.bit) + " word " + std::to_string(f.word) + " lane " +
         std::to_string(f.lane) + " buffer " + std::to_string(static_cast<int>(f.buffer));
}

TEST(RtlChecksums, ResultsAreExactAndNoTileFails) {
  auto rtl = make_rtl_gemm(kArray, 0, /*checksums=*/true);
  ASSERT_TRUE(rtl->checksums());
  std::mt19937 rng(41);
  std::uniform_int_distribution<int> dim(1, 29), depth(1, 140);
  for (int i = 0; i < 120; ++i) {
    const int m = dim(rng), n = dim(rng), k = i == 0 ? 1 : depth(rng);
    const auto a = random_int8(count(m, k), rng), w = random_int8(count(n, k), rng);
    RtlStreamOptions options;
    options.seed = static_cast<std::uint32_t>(i + 1);
    options.preload_operands = i % 4 == 3;
    if (i % 3 == 1) {
      options.operand_valid_rate = 0.6;
      options.result_ready_rate = 0.3;
    }
    const RtlGemmResult got = rtl->gemm(a.data(), w.data(), m, n, k, options);
    EXPECT_EQ(got.c, testing::hls_gemm_int32(kArray, a, w, m, n, k)) << m << "x" << n << "x" << k;
    EXPECT_EQ(got.checks.failing_tiles, 0) << m << "x" << n << "x" << k;
    if (HasFailure()) return;
  }
  // Extremes: every accumulator and checksum wraps the same way.
  for (int fill : {127, -128}) {
    const int m = 16, n = 16, k = 1000;
    std::vector<std::int8_t> a(count(m, k), static_cast<std::int8_t>(fill)), w(count(n, k), -128);
    const RtlGemmResult got = rtl->gemm(a.data(), w.data(), m, n, k, {});
    EXPECT_EQ(got.c, testing::hls_gemm_int32(kArray, a, w, m, n, k));
    EXPECT_EQ(got.checks.failing_tiles, 0);
  }
}

// The cycle model's checksum charge (period max(K, COLS + 2), three cycles per job)
// is what the RTL takes, exactly.
TEST(RtlChecksums, CyclesEqualTheCycleModel) {
  auto rtl = make_rtl_gemm(kArray, 0, /*checksums=*/true);
  std::mt19937 rng(43);
  std::uniform_int_distribution<int> dim(1, 35), depth(1, 300);
  for (int i = 0; i < 40; ++i) {
    const int m = dim(rng), n = dim(rng), k = i < 3 ? 8 + i : depth(rng);
    const auto a = random_int8(count(m, k), rng), w = random_int8(count(n, k), rng);
    for (bool preloaded : {false, true}) {
      RtlStreamOptions options;
      options.preload_operands = preloaded;
      const RtlGemmResult measured = rtl->gemm(a.data(), w.data(), m, n, k, options);
      const GemmTiming model = gemm_timing(kArray, rtl->buffer_words(), m, n, k, preloaded, 1.0,
                                           /*checksums=*/true);
      EXPECT_EQ(preloaded ? model.compute_cycles : model.total_cycles,
                preloaded ? measured.compute_cycles : measured.cycles)
          << m << "x" << n << "x" << k << (preloaded ? " preloaded" : " streamed");
    }
  }
}

// Random faults at every site, on the engines with and without checksums: the RTL's
// results and checksum report equal the C model's under the same fault.
TEST(RtlChecksums, FaultsStrikeAsInTheCModel) {
  std::mt19937 rng(47);
  for (bool checksums : {true, false}) {
    auto rtl = make_rtl_gemm(kArray, 0, checksums);
    int detected = 0, corrupted = 0;
    for (int i = 0; i < 150; ++i) {
      const int m = 8 * (1 + i % 3) - (i % 5 == 0 ? 3 : 0), n = 8 * (1 + i % 2) + (i % 7 == 0),
                k = 1 + (i * 37) % 60;
      const int m_tiles = (m + 7) / 8, n_tiles = (n + 7) / 8;
      const auto a = random_int8(count(m, k), rng), w = random_int8(count(n, k), rng);
      const hls::EngineFault fault = random_fault(rng, m_tiles, n_tiles, k, checksums);
      RtlStreamOptions options;
      options.fault = &fault;
      options.preload_operands = i % 2 == 0;
      const RtlGemmResult got = rtl->gemm(a.data(), w.data(), m, n, k, options);
      const ModelRun want = c_model(a, w, m, n, k, checksums, &fault);
      EXPECT_EQ(got.c, want.c) << describe(fault) << " on " << m << "x" << n << "x" << k;
      EXPECT_EQ(got.checks.failing_tiles, want.checks.failing_tiles) << describe(fault);
      EXPECT_EQ(got.checks.first_failing_tile, want.checks.first_failing_tile) << describe(fault);
      if (HasFailure()) return;
      detected += got.checks.failing_tiles > 0;
      corrupted += got.c != testing::hls_gemm_int32(kArray, a, w, m, n, k);
    }
    // Not vacuous: faults corrupt results, and with checksums they are caught.
    EXPECT_GT(corrupted, 30) << checksums;
    EXPECT_EQ(detected > 0, checksums);
    // The next job, without the fault, is clean again.
    const auto a = random_int8(count(8, 20), rng), w = random_int8(count(8, 20), rng);
    const RtlGemmResult clean = rtl->gemm(a.data(), w.data(), 8, 8, 20, {});
    EXPECT_EQ(clean.c, testing::hls_gemm_int32(kArray, a, w, 8, 8, 20));
    EXPECT_EQ(clean.checks.failing_tiles, 0);
  }
}

TEST(RtlChecksums, FaultsNeedStateTheEngineHas) {
  auto rtl = make_rtl_gemm(kArray, 0, /*checksums=*/false);
  std::vector<std::int8_t> a(64, 1), w(64, 1);
  hls::EngineFault checksum_pe;
  checksum_pe.row = 8;  // the checksum row: this engine has none
  RtlStreamOptions options;
  options.fault = &checksum_pe;
  EXPECT_THROW(rtl->gemm(a.data(), w.data(), 8, 8, 8, options), std::invalid_argument);
  checksum_pe.col = 0;  // the vector checksum PE
  EXPECT_THROW(rtl->gemv(a.data(), w.data(), 8, 8, options), std::invalid_argument);
  hls::EngineFault late;
  late.tile = 1;  // a GEMV of 8 outputs has one vector tile
  options.fault = &late;
  EXPECT_THROW(rtl->gemv(a.data(), w.data(), 8, 8, options), std::invalid_argument);
  hls::EngineFault pe;
  options.fault = &pe;
  EXPECT_NO_THROW(rtl->gemm(a.data(), w.data(), 8, 8, 8, options));
  EXPECT_NO_THROW(rtl->gemv(a.data(), w.data(), 8, 8, options));
}

// ---- Vector (GEMV) jobs ----------------------------------------------------------------

// gemv_i8 on W tiled by COLS, as the unit's memory holds it (and as the checked C
// model reads it), with checksums when asked and the fault if any.
ModelRun c_model_gemv(const std::vector<std::int8_t>& a, const std::vector<std::int8_t>& w, int n,
                      int k, bool checksums, const hls::EngineFault* fault) {
  std::vector<std::uint8_t> w_tiled(tiled_bytes(n, k, kArray.cols));
  pack_tiled(w.data(), n, k, kArray.cols, w_tiled.data());
  ModelRun run;
  run.c.assign(static_cast<std::size_t>(n), 0);
  hls::GemmArgs g;
  g.a = a.data();
  g.w = reinterpret_cast<const std::int8_t*>(w_tiled.data());
  g.w_tile = kArray.cols;
  g.m = 1;
  g.n = n;
  g.k = k;
  g.c_int32 = run.c.data();
  g.checksums = checksums ? &run.checks : nullptr;
  g.fault = fault;
  const hls::Status status = hls::gemv(kArray, g);
  EXPECT_TRUE(status == hls::Status::kOk || status == hls::Status::kChecksumMismatch)
      << hls::describe(status);
  return run;
}

// A random fault a vector job has state for: a PE or (with checksums) the vector
// checksum PE, a result word, or an A-buffer byte the job reads.
hls::EngineFault random_vector_fault(std::mt19937& rng, int n, int k, bool checksums) {
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  const int lanes = kArray.rows * kArray.cols;
  hls::EngineFault f;
  f.site = static_cast<hls::EngineSite>(pick(0, 2));
  f.kind = static_cast<hls::BitFault>(pick(0, 2));
  f.tile = pick(0, (n + lanes - 1) / lanes - 1);
  f.step = pick(0, k);
  f.bit = pick(0, f.site == hls::EngineSite::kOperandBuffer ? 7 : 31);
  f.row = pick(0, kArray.rows - 1);
  f.col = pick(0, kArray.cols - 1);
  if (f.site == hls::EngineSite::kAccumulator && checksums && pick(0, 4) == 0) {
    f.row = kArray.rows;  // the vector checksum PE
    f.col = 0;
  }
  if (f.site == hls::EngineSite::kOperandBuffer) {
    const int byte = pick(0, k - 1);
    f.buffer = hls::OperandBuffer::kA;
    f.word = byte / kArray.rows;
    f.lane = byte % kArray.rows;
  }
  EXPECT_TRUE(hls::vector_fault_fits(f, kArray, n, k, checksums)) << describe(f);
  return f;
}

TEST(RtlVectorChecksums, ResultsAreExactAndNoTileFails) {
  auto rtl = make_rtl_gemm(kArray, 0, /*checksums=*/true);
  std::mt19937 rng(53);
  std::uniform_int_distribution<int> outputs(1, 300), depth(8, 150);
  for (int i = 0; i < 80; ++i) {
    const int n = outputs(rng), k = i == 0 ? 8 : depth(rng);
    const auto a = random_int8(static_cast<std::size_t>(k), rng), w = random_int8(count(n, k), rng);
    RtlStreamOptions options;
    options.seed = static_cast<std::uint32_t>(i + 1);
    options.preload_operands = i % 4 == 3;
    if (i % 3 == 1) {
      options.operand_valid_rate = 0.6;
      options.result_ready_rate = 0.3;
    }
    const RtlGemmResult got = rtl->gemv(a.data(), w.data(), n, k, options);
    EXPECT_EQ(got.c, testing::hls_gemm_int32(kArray, a, w, 1, n, k)) << n << "x" << k;
    EXPECT_EQ(got.checks.failing_tiles, 0) << n << "x" << k;
    if (HasFailure()) return;
  }
  // Extremes: the checksum wraps as the outputs' sum does.
  for (int fill : {127, -128}) {
    const int n = 200, k = 3000;
    std::vector<std::int8_t> a(static_cast<std::size_t>(k), static_cast<std::int8_t>(fill)),
        w(count(n, k), -128);
    const RtlGemmResult got = rtl->gemv(a.data(), w.data(), n, k, {});
    EXPECT_EQ(got.c, testing::hls_gemm_int32(kArray, a, w, 1, n, k));
    EXPECT_EQ(got.checks.failing_tiles, 0);
  }
}

// The cycle model's vector checksum charge, max(2, clog2(ROWS * COLS) - ROWS + 1)
// cycles per job, is what the RTL takes, exactly.
TEST(RtlVectorChecksums, CyclesEqualTheCycleModel) {
  auto rtl = make_rtl_gemm(kArray, 0, /*checksums=*/true);
  std::mt19937 rng(59);
  std::uniform_int_distribution<int> outputs(1, 400), depth(8, 300);
  for (int i = 0; i < 30; ++i) {
    const int n = outputs(rng), k = i < 3 ? 8 + i : depth(rng);
    const auto a = random_int8(static_cast<std::size_t>(k), rng), w = random_int8(count(n, k), rng);
    for (bool preloaded : {false, true}) {
      RtlStreamOptions options;
      options.preload_operands = preloaded;
      const RtlGemmResult measured = rtl->gemv(a.data(), w.data(), n, k, options);
      const GemmTiming model = gemv_timing(kArray, n, k, preloaded, 1.0, /*checksums=*/true);
      EXPECT_EQ(preloaded ? model.compute_cycles : model.total_cycles,
                preloaded ? measured.compute_cycles : measured.cycles)
          << n << "x" << k << (preloaded ? " preloaded" : " streamed");
    }
  }
}

// Random faults at every site a vector job has, on the engines with and without
// checksums, with stalls on both streams: results and checksum report equal gemv_i8's.
TEST(RtlVectorChecksums, FaultsStrikeAsInTheCModel) {
  std::mt19937 rng(61);
  for (bool checksums : {true, false}) {
    auto rtl = make_rtl_gemm(kArray, 0, checksums);
    int detected = 0, corrupted = 0;
    for (int i = 0; i < 150; ++i) {
      const int n = 1 + (i * 53) % 260, k = 8 + (i * 37) % 70;
      const auto a = random_int8(static_cast<std::size_t>(k), rng),
                 w = random_int8(count(n, k), rng);
      const hls::EngineFault fault = random_vector_fault(rng, n, k, checksums);
      RtlStreamOptions options;
      options.fault = &fault;
      options.seed = static_cast<std::uint32_t>(i + 7);
      options.preload_operands = i % 2 == 0;
      if (i % 3 == 2) {
        options.operand_valid_rate = 0.5;
        options.result_ready_rate = 0.4;
      }
      const RtlGemmResult got = rtl->gemv(a.data(), w.data(), n, k, options);
      const ModelRun want = c_model_gemv(a, w, n, k, checksums, &fault);
      EXPECT_EQ(got.c, want.c) << describe(fault) << " on " << n << "x" << k;
      EXPECT_EQ(got.checks.failing_tiles, want.checks.failing_tiles) << describe(fault);
      EXPECT_EQ(got.checks.first_failing_tile, want.checks.first_failing_tile) << describe(fault);
      if (HasFailure()) return;
      detected += got.checks.failing_tiles > 0;
      corrupted += got.c != testing::hls_gemm_int32(kArray, a, w, 1, n, k);
    }
    EXPECT_GT(corrupted, 30) << checksums;
    EXPECT_EQ(detected > 0, checksums);
    const auto a = random_int8(20, rng), w = random_int8(count(70, 20), rng);
    const RtlGemmResult clean = rtl->gemv(a.data(), w.data(), 70, 20, {});
    EXPECT_EQ(clean.c, testing::hls_gemm_int32(kArray, a, w, 1, 70, 20));
    EXPECT_EQ(clean.checks.failing_tiles, 0);
  }
}

}  // namespace
}  // namespace tessera::sim
