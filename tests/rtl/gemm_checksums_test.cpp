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

// One GEMM (matrix job) or GEMV (vector job, M = 1): the tests run over both kinds.
struct Shape {
  int m, n, k;
};

struct ModelRun {
  std::vector<std::int32_t> c;
  hls::ChecksumReport checks;
};

// gemm_i8 on the array, or gemv_i8 on W tiled by COLS as the unit's memory holds it,
// with checksums when asked and the fault if any.
ModelRun c_model(bool vector, const std::vector<std::int8_t>& a, const std::vector<std::int8_t>& w,
                 Shape s, bool checksums, const hls::EngineFault* fault) {
  std::vector<std::uint8_t> w_tiled;
  ModelRun run;
  run.c.assign(count(s.m, s.n), 0);
  hls::GemmArgs g;
  g.a = a.data();
  g.w = w.data();
  if (vector) {
    w_tiled.resize(tiled_bytes(s.n, s.k, kArray.cols));
    pack_tiled(w.data(), s.n, s.k, kArray.cols, w_tiled.data());
    g.w = reinterpret_cast<const std::int8_t*>(w_tiled.data());
    g.w_tile = kArray.cols;
  }
  g.m = s.m;
  g.n = s.n;
  g.k = s.k;
  g.c_int32 = run.c.data();
  g.checksums = checksums ? &run.checks : nullptr;
  g.fault = fault;
  const hls::Status status = vector ? hls::gemv(kArray, g) : hls::gemm(kArray, g);
  EXPECT_TRUE(status == hls::Status::kOk || status == hls::Status::kChecksumMismatch)
      << hls::describe(status);
  return run;
}

RtlGemmResult run_engine(RtlGemm& rtl, bool vector, const std::vector<std::int8_t>& a,
                         const std::vector<std::int8_t>& w, Shape s,
                         const RtlStreamOptions& options) {
  return vector ? rtl.gemv(a.data(), w.data(), s.n, s.k, options)
                : rtl.gemm(a.data(), w.data(), s.m, s.n, s.k, options);
}

std::vector<std::int32_t> reference(const std::vector<std::int8_t>& a,
                                    const std::vector<std::int8_t>& w, Shape s) {
  return testing::hls_gemm_int32(kArray, a, w, s.m, s.n, s.k);
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

hls::EngineFault random_fault(bool vector, std::mt19937& rng, Shape s, bool checksums) {
  return vector ? random_vector_fault(rng, s.n, s.k, checksums)
                : random_fault(rng, (s.m + kArray.rows - 1) / kArray.rows,
                               (s.n + kArray.cols - 1) / kArray.cols, s.k, checksums);
}

class RtlChecksums : public ::testing::TestWithParam<bool> {
 protected:
  bool vector() const { return GetParam(); }
  // A random shape: K from ROWS up for a vector job (the engine needs that).
  Shape random_shape(std::mt19937& rng, int max_m, int max_n, int max_k) const {
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    if (vector()) return {1, pick(1, max_n * 10), pick(kArray.rows, max_k)};
    return {pick(1, max_m), pick(1, max_n), pick(1, max_k)};
  }
  std::vector<std::int8_t> random_a(Shape s, std::mt19937& rng) const {
    return random_int8(count(s.m, s.k), rng);
  }
};

TEST_P(RtlChecksums, ResultsAreExactAndNoTileFails) {
  auto rtl = make_rtl_gemm(kArray, 0, /*checksums=*/true);
  ASSERT_TRUE(rtl->checksums());
  std::mt19937 rng(vector() ? 53 : 41);
  for (int i = 0; i < 100; ++i) {
    const Shape s = random_shape(rng, 29, 29, 140);
    const auto a = random_a(s, rng), w = random_int8(count(s.n, s.k), rng);
    RtlStreamOptions options;
    options.seed = static_cast<std::uint32_t>(i + 1);
    options.preload_operands = i % 4 == 3;
    if (i % 3 == 1) {
      options.operand_valid_rate = 0.6;
      options.result_ready_rate = 0.3;
    }
    const RtlGemmResult got = run_engine(*rtl, vector(), a, w, s, options);
    EXPECT_EQ(got.c, reference(a, w, s)) << s.m << "x" << s.n << "x" << s.k;
    EXPECT_EQ(got.checks.failing_tiles, 0) << s.m << "x" << s.n << "x" << s.k;
    if (HasFailure()) return;
  }
  // Extremes: every accumulator and checksum wraps the same way.
  for (int fill : {127, -128}) {
    const Shape s = vector() ? Shape{1, 200, 3000} : Shape{16, 16, 1000};
    std::vector<std::int8_t> a(count(s.m, s.k), static_cast<std::int8_t>(fill)),
        w(count(s.n, s.k), -128);
    const RtlGemmResult got = run_engine(*rtl, vector(), a, w, s, {});
    EXPECT_EQ(got.c, reference(a, w, s));
    EXPECT_EQ(got.checks.failing_tiles, 0);
  }
}

// The cycle model's checksum charge is what the RTL takes, exactly: a matrix tile's
// period max(K, COLS + 2) and three cycles per job; a vector job's
// max(2, clog2(ROWS * COLS) - ROWS + 1).
TEST_P(RtlChecksums, CyclesEqualTheCycleModel) {
  auto rtl = make_rtl_gemm(kArray, 0, /*checksums=*/true);
  std::mt19937 rng(vector() ? 59 : 43);
  for (int i = 0; i < 40; ++i) {
    Shape s = random_shape(rng, 35, 35, 300);
    if (i < 3) s.k = 8 + i;
    const auto a = random_a(s, rng), w = random_int8(count(s.n, s.k), rng);
    for (bool preloaded : {false, true}) {
      RtlStreamOptions options;
      options.preload_operands = preloaded;
      const RtlGemmResult measured = run_engine(*rtl, vector(), a, w, s, options);
      const GemmTiming model =
          vector() ? gemv_timing(kArray, s.n, s.k, preloaded, 1.0, /*checksums=*/true)
                   : gemm_timing(kArray, rtl->buffer_words(), s.m, s.n, s.k, preloaded, 1.0,
                                 /*checksums=*/true);
      EXPECT_EQ(preloaded ? model.compute_cycles : model.total_cycles,
                preloaded ? measured.compute_cycles : measured.cycles)
          << s.m << "x" << s.n << "x" << s.k << (preloaded ? " preloaded" : " streamed");
    }
  }
}

// Random faults at every site a job has, on the engines with and without checksums,
// some with stalls on every stream: the RTL's results and checksum report equal the C
// model's under the same fault.
TEST_P(RtlChecksums, FaultsStrikeAsInTheCModel) {
  std::mt19937 rng(vector() ? 61 : 47);
  for (bool checksums : {true, false}) {
    auto rtl = make_rtl_gemm(kArray, 0, checksums);
    int detected = 0, corrupted = 0;
    for (int i = 0; i < 150; ++i) {
      const Shape s = vector() ? Shape{1, 1 + (i * 53) % 260, 8 + (i * 37) % 70}
                               : Shape{8 * (1 + i % 3) - (i % 5 == 0 ? 3 : 0),
                                       8 * (1 + i % 2) + (i % 7 == 0), 1 + (i * 37) % 60};
      const auto a = random_a(s, rng), w = random_int8(count(s.n, s.k), rng);
      const hls::EngineFault fault = random_fault(vector(), rng, s, checksums);
      RtlStreamOptions options;
      options.fault = &fault;
      options.seed = static_cast<std::uint32_t>(i + 7);
      options.preload_operands = i % 2 == 0;
      if (i % 3 == 2) {
        options.operand_valid_rate = 0.5;
        options.result_ready_rate = 0.4;
      }
      const RtlGemmResult got = run_engine(*rtl, vector(), a, w, s, options);
      const ModelRun want = c_model(vector(), a, w, s, checksums, &fault);
      EXPECT_EQ(got.c, want.c) << describe(fault) << " on " << s.m << "x" << s.n << "x" << s.k;
      EXPECT_EQ(got.checks.failing_tiles, want.checks.failing_tiles) << describe(fault);
      EXPECT_EQ(got.checks.first_failing_tile, want.checks.first_failing_tile) << describe(fault);
      if (HasFailure()) return;
      detected += got.checks.failing_tiles > 0;
      corrupted += got.c != reference(a, w, s);
    }
    // Not vacuous: faults corrupt results, and with checksums they are caught.
    EXPECT_GT(corrupted, 30) << checksums;
    EXPECT_EQ(detected > 0, checksums);
    // The next job, without the fault, is clean again.
    const Shape s = vector() ? Shape{1, 70, 20} : Shape{8, 8, 20};
    const auto a = random_a(s, rng), w = random_int8(count(s.n, s.k), rng);
    const RtlGemmResult clean = run_engine(*rtl, vector(), a, w, s, {});
    EXPECT_EQ(clean.c, reference(a, w, s));
    EXPECT_EQ(clean.checks.failing_tiles, 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Jobs, RtlChecksums, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& job) {
                           return std::string(job.param ? "Vector" : "Matrix");
                         });

TEST(RtlFaults, NeedStateTheEngineHas) {
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

}  // namespace
}  // namespace tessera::sim
