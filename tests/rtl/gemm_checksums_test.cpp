// Co-verification of the engine's checksums and fault hooks: the Verilated 8x8 engine
// with CHECKSUMS = 1 against the HLS C model (gemm_i8 and gemv_i8 with checksums and
// the same EngineFault, an independent implementation of the same fault semantics),
// bit for bit and tile for tile, in matrix and vector jobs, and its cycles against the
// cycle model's charge for them.
#include <gtest/gtest.h>

#include <random>

#include "support/engine_faults.hpp"
#include "support/random_data.hpp"
#include "tessera/sim/gemm_cycle_model.hpp"
#include "tessera/sim/rtl_gemm.hpp"

namespace tessera::sim {
namespace {

using testing::random_int8;

constexpr hls::ArrayShape kArray{8, 8};

std::size_t count(int a, int b) {
  return static_cast<std::size_t>(a) * static_cast<std::size_t>(b);
}

using testing::describe;
using testing::EngineJob;

RtlGemmResult run_engine(RtlGemm& rtl, const EngineJob& j, const std::vector<std::int8_t>& a,
                         const std::vector<std::int8_t>& w, const RtlStreamOptions& options) {
  return j.vector ? rtl.gemv(a.data(), w.data(), j.n, j.k, options)
                  : rtl.gemm(a.data(), w.data(), j.m, j.n, j.k, options);
}

std::vector<std::int32_t> reference(const std::vector<std::int8_t>& a,
                                    const std::vector<std::int8_t>& w, const EngineJob& j) {
  return testing::hls_gemm_int32(kArray, a, w, j.m, j.n, j.k);
}

class RtlChecksums : public ::testing::TestWithParam<bool> {
 protected:
  bool vector() const { return GetParam(); }
  // A random shape: K from ROWS up for a vector job (the engine needs that).
  EngineJob random_job(std::mt19937& rng, int max_m, int max_n, int max_k) const {
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    if (vector()) return {true, 1, pick(1, max_n * 10), pick(kArray.rows, max_k)};
    return {false, pick(1, max_m), pick(1, max_n), pick(1, max_k)};
  }
  std::vector<std::int8_t> random_a(const EngineJob& s, std::mt19937& rng) const {
    return random_int8(count(s.m, s.k), rng);
  }
};

TEST_P(RtlChecksums, ResultsAreExactAndNoTileFails) {
  auto rtl = make_rtl_gemm(kArray, 0, /*checksums=*/true);
  ASSERT_TRUE(rtl->checksums());
  std::mt19937 rng(vector() ? 53 : 41);
  for (int i = 0; i < 100; ++i) {
    const EngineJob s = random_job(rng, 29, 29, 140);
    const auto a = random_a(s, rng), w = random_int8(count(s.n, s.k), rng);
    RtlStreamOptions options;
    options.seed = static_cast<std::uint32_t>(i + 1);
    options.preload_operands = i % 4 == 3;
    if (i % 3 == 1) {
      options.operand_valid_rate = 0.6;
      options.result_ready_rate = 0.3;
    }
    const RtlGemmResult got = run_engine(*rtl, s, a, w, options);
    EXPECT_EQ(got.c, reference(a, w, s)) << s.m << "x" << s.n << "x" << s.k;
    EXPECT_EQ(got.checks.failing_tiles, 0) << s.m << "x" << s.n << "x" << s.k;
    if (HasFailure()) return;
  }
  // Extremes: every accumulator and checksum wraps the same way.
  for (int fill : {127, -128}) {
    const EngineJob s = vector() ? EngineJob{true, 1, 200, 3000} : EngineJob{false, 16, 16, 1000};
    std::vector<std::int8_t> a(count(s.m, s.k), static_cast<std::int8_t>(fill)),
        w(count(s.n, s.k), -128);
    const RtlGemmResult got = run_engine(*rtl, s, a, w, {});
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
    EngineJob s = random_job(rng, 35, 35, 300);
    if (i < 3) s.k = 8 + i;
    const auto a = random_a(s, rng), w = random_int8(count(s.n, s.k), rng);
    for (bool preloaded : {false, true}) {
      RtlStreamOptions options;
      options.preload_operands = preloaded;
      const RtlGemmResult measured = run_engine(*rtl, s, a, w, options);
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
      const EngineJob s = vector() ? EngineJob{true, 1, 1 + (i * 53) % 260, 8 + (i * 37) % 70}
                                   : EngineJob{false, 8 * (1 + i % 3) - (i % 5 == 0 ? 3 : 0),
                                               8 * (1 + i % 2) + (i % 7 == 0), 1 + (i * 37) % 60};
      const auto a = random_a(s, rng), w = random_int8(count(s.n, s.k), rng);
      const hls::EngineFault fault = testing::random_engine_fault(kArray, s, rng, checksums);
      RtlStreamOptions options;
      options.fault = &fault;
      options.seed = static_cast<std::uint32_t>(i + 7);
      options.preload_operands = i % 2 == 0;
      if (i % 3 == 2) {
        options.operand_valid_rate = 0.5;
        options.result_ready_rate = 0.4;
      }
      const RtlGemmResult got = run_engine(*rtl, s, a, w, options);
      const testing::EngineModelRun want =
          testing::engine_c_model(kArray, s, a, w, checksums, &fault);
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
    const EngineJob s = vector() ? EngineJob{true, 1, 70, 20} : EngineJob{false, 8, 8, 20};
    const auto a = random_a(s, rng), w = random_int8(count(s.n, s.k), rng);
    const RtlGemmResult clean = run_engine(*rtl, s, a, w, {});
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
