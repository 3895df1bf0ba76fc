// Co-verification: the Verilated GEMM engine (rtl/gemm) against the HLS C model,
// bit for bit, with random shapes, edge shapes, stalls on every stream and a reset
// in the middle of a job. Set TESSERA_FST_DIR to re-run a failing case with an FST
// waveform written there.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "support/random_data.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/hls/kernels.hpp"
#include "tessera/sim/rtl_accelerator.hpp"
#include "tessera/sim/rtl_gemm.hpp"

namespace tessera::sim {
namespace {

using testing::random_int8;

std::size_t count(int a, int b) {
  return static_cast<std::size_t>(a) * static_cast<std::size_t>(b);
}

using testing::hls_gemm_int32;

// Runs one case on the RTL and compares with the HLS model; on a mismatch, re-runs it
// with a waveform when TESSERA_FST_DIR is set.
void check_case(RtlGemm& rtl, const std::vector<std::int8_t>& a, const std::vector<std::int8_t>& w,
                int m, int n, int k, RtlStreamOptions options, const std::string& name) {
  const auto expected = hls_gemm_int32(rtl.array(), a, w, m, n, k);
  const RtlGemmResult got = rtl.gemm(a.data(), w.data(), m, n, k, options);
  if (got.c == expected) return;
  std::string wave = "set TESSERA_FST_DIR to dump a waveform";
  if (const char* dir = std::getenv("TESSERA_FST_DIR")) {
    options.fst_path = std::string(dir) + "/" + name + ".fst";
    rtl.gemm(a.data(), w.data(), m, n, k, options);
    wave = "waveform: " + options.fst_path;
  }
  ADD_FAILURE() << name << ": RTL differs from the HLS model for " << m << "x" << n << "x" << k
                << " on " << hls::to_string(rtl.array()) << " (" << wave << ")";
}

class RtlGemmOnArray : public ::testing::TestWithParam<hls::ArrayShape> {
 protected:
  void SetUp() override { rtl_ = make_rtl_gemm(GetParam()); }
  std::unique_ptr<RtlGemm> rtl_;
};

// 350 random cases per array (over 1,000 across the three arrays); every third case
// with random gaps on the operand streams and random back-pressure on the results.
TEST_P(RtlGemmOnArray, RandomGemmsMatchTheHlsModel) {
  const int size = GetParam().rows;
  std::mt19937 rng(static_cast<unsigned>(1000 + size));
  std::uniform_int_distribution<int> dim(1, 3 * size + 5), depth(1, 160);
  for (int i = 0; i < 350; ++i) {
    const int m = dim(rng), n = dim(rng), k = depth(rng);
    const auto a = random_int8(count(m, k), rng), w = random_int8(count(n, k), rng);
    RtlStreamOptions options;
    options.seed = static_cast<std::uint32_t>(i + 1);
    if (i % 3 == 1) {
      options.operand_valid_rate = 0.6;
      options.result_ready_rate = 0.4;
    }
    check_case(*rtl_, a, w, m, n, k, options,
               "random_" + std::to_string(size) + "_" + std::to_string(i));
    if (HasFailure()) return;
  }
}

TEST_P(RtlGemmOnArray, EdgeShapesAndExtremeValues) {
  const int s = GetParam().rows;
  std::mt19937 rng(7);
  for (auto [m, n, k] : {std::tuple{1, 1, 1}, std::tuple{s, s, 1}, std::tuple{s, s, s},
                         std::tuple{s + 1, s - 1, s + 1}, std::tuple{1, 3 * s + 1, 2},
                         std::tuple{2 * s, 1, 300}, std::tuple{s - 1, 2 * s + 1, s + 2}}) {
    for (int fill : {127, -128, 0, 99}) {
      std::vector<std::int8_t> a(count(m, k), static_cast<std::int8_t>(fill));
      std::vector<std::int8_t> w(count(n, k), static_cast<std::int8_t>(fill == 99 ? 0 : -fill));
      if (fill == 99) a = random_int8(a.size(), rng);
      check_case(*rtl_, a, w, m, n, k, {},
                 "edge_" + std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k));
    }
  }
}

TEST_P(RtlGemmOnArray, HeavyBackPressureOnEveryStream) {
  std::mt19937 rng(11);
  const int s = GetParam().rows;
  const int m = 2 * s + 3, n = 2 * s - 1, k = 3 * s;
  const auto a = random_int8(count(m, k), rng), w = random_int8(count(n, k), rng);
  for (double rate : {0.9, 0.5, 0.1}) {
    RtlStreamOptions options;
    options.operand_valid_rate = rate;
    options.result_ready_rate = rate;
    check_case(*rtl_, a, w, m, n, k, options, "pressure");
    const RtlGemmResult r = rtl_->gemm(a.data(), w.data(), m, n, k, options);
    if (rate < 1.0) {
      EXPECT_GT(r.stall_cycles, 0u) << rate;
    }
    EXPECT_GT(r.load_wait_cycles, 0u) << rate;
  }
}

TEST_P(RtlGemmOnArray, RecoversFromResetInTheMiddleOfAJob) {
  std::mt19937 rng(13);
  const int s = GetParam().rows;
  const int m = 3 * s, n = 2 * s, k = 50;
  const auto a = random_int8(count(m, k), rng), w = random_int8(count(n, k), rng);
  for (int cycles : {3, 60, 200, 400}) {
    rtl_->start_then_reset(a.data(), w.data(), m, n, k, cycles);
    check_case(*rtl_, a, w, m, n, k, {}, "after_reset_" + std::to_string(cycles));
  }
}

TEST_P(RtlGemmOnArray, PreloadedOperandsGiveTheSameResult) {
  std::mt19937 rng(17);
  const int s = GetParam().rows;
  const auto a = random_int8(count(s + 2, 40), rng), w = random_int8(count(s, 40), rng);
  RtlStreamOptions options;
  options.preload_operands = true;
  check_case(*rtl_, a, w, s + 2, s, 40, options, "preloaded");
}

// Vector mode (GEMV): random N and K >= ROWS, extremes, gaps on the W stream and
// back-pressure on the results, preloaded A, and a GEMM after it on the same engine.
TEST_P(RtlGemmOnArray, VectorModeMatchesTheHlsModel) {
  std::mt19937 rng(29);
  const int s = GetParam().rows;
  std::uniform_int_distribution<int> outputs(1, 5 * s * s), depth(s, 300);
  for (int i = 0; i < 24; ++i) {
    const int n = i == 0 ? s * s : outputs(rng), k = i == 1 ? s : depth(rng);
    const int lo = i == 2 ? 127 : i == 3 ? -128 : -128, hi = i == 2 ? 127 : i == 3 ? -128 : 127;
    const auto a = random_int8(count(1, k), rng, lo, hi), w = random_int8(count(n, k), rng, lo, hi);
    RtlStreamOptions options;
    if (i % 3 == 2) {
      options.operand_valid_rate = 0.6;
      options.result_ready_rate = 0.4;
      options.seed = static_cast<std::uint32_t>(i);
    }
    options.preload_operands = i % 4 == 1;
    const auto expected = hls_gemm_int32(GetParam(), a, w, 1, n, k);
    const RtlGemmResult got = rtl_->gemv(a.data(), w.data(), n, k, options);
    EXPECT_EQ(got.c, expected) << "gemv case " << i << ": N = " << n << ", K = " << k;
  }
  const auto a = random_int8(count(s + 1, 33), rng), w = random_int8(count(2 * s, 33), rng);
  check_case(*rtl_, a, w, s + 1, 2 * s, 33, {}, "gemm_after_gemv");
  EXPECT_THROW(rtl_->gemv(a.data(), w.data(), 4, s - 1, {}), std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Arrays, RtlGemmOnArray, ::testing::ValuesIn(rtl_arrays()),
                         [](const auto& test_info) {
                           return "a" + std::to_string(test_info.param.rows) + "x" +
                                  std::to_string(test_info.param.cols);
                         });

// Cycle counts are deterministic: a 256^3 GEMM with operands on chip keeps a 16x16
// array busy for all but the pipeline's fill and drain.
TEST(RtlGemmCycles, Utilization256CubedOn16x16) {
  auto rtl = make_rtl_gemm({16, 16});
  std::mt19937 rng(19);
  const auto a = random_int8(count(256, 256), rng), w = random_int8(count(256, 256), rng);
  RtlStreamOptions options;
  options.preload_operands = true;
  const RtlGemmResult r = rtl->gemm(a.data(), w.data(), 256, 256, 256, options);
  EXPECT_EQ(r.c, hls_gemm_int32({16, 16}, a, w, 256, 256, 256));
  const double utilization =
      256.0 * 256.0 * 256.0 / (256.0 * static_cast<double>(r.compute_cycles));
  RecordProperty("compute_cycles", std::to_string(r.compute_cycles));
  EXPECT_GE(utilization, 0.90) << r.compute_cycles << " cycles";
  EXPECT_EQ(r.stall_cycles, 0u);
}

TEST(RtlGemmErrors, RejectsWhatTheBuffersCannotHold) {
  auto rtl = make_rtl_gemm({8, 8});
  std::vector<std::int8_t> a(static_cast<std::size_t>(rtl->buffer_words() + 1), 1);
  EXPECT_THROW(rtl->gemm(a.data(), a.data(), 1, 1, rtl->buffer_words() + 1, {}),
               std::invalid_argument);
  EXPECT_THROW(rtl->gemm(a.data(), a.data(), 0, 1, 1, {}), std::invalid_argument);
  EXPECT_THROW(make_rtl_gemm({32, 32}), std::invalid_argument);
  EXPECT_THROW(make_rtl_gemm({4, 8}), std::invalid_argument);
}

// Every preset whose array is square and at most TESSERA_RTL_MAX_ARRAY has a
// Verilated engine of its array and buffer depth: sim/CMakeLists.txt reads them from
// configs/, so a board's JSON is all a new size takes.
TEST(RtlEngines, EveryPresetUpToTheLimitHasItsOwn) {
  int presets = 0;
  for (const std::string& name : hls::preset_names()) {
    const hls::HardwareConfig config = hls::load_preset(name);
    const hls::ArrayShape array = config.array();
    if (array.rows != array.cols || array.rows > TESSERA_RTL_MAX_ARRAY) {
      EXPECT_NE(rtl_unavailable_reason(config).find("square arrays up to"), std::string::npos);
      continue;
    }
    EXPECT_EQ(rtl_unavailable_reason(config), "") << name;
    const auto engine = make_rtl_gemm(array, config.gemm.buffer_words);
    EXPECT_EQ(engine->buffer_words(), config.gemm.buffer_words) << name;
    EXPECT_EQ(engine->array().rows, array.rows) << name;
    ++presets;
  }
  EXPECT_GE(presets, 1);
  EXPECT_THROW(make_rtl_gemm({16, 16}, 123), std::invalid_argument);
}

}  // namespace
}  // namespace tessera::sim
