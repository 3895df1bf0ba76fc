// The GEMM cycle model (tlm timing) against the Verilated engine: within 5% on
// every case (the tolerance the platform promises), and in fact exact.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "support/attention_case.hpp"
#include "support/random_data.hpp"
#include "tessera/sim/attention_cycle_model.hpp"
#include "tessera/sim/gemm_cycle_model.hpp"
#include "tessera/sim/rtl_attention.hpp"
#include "tessera/sim/rtl_gemm.hpp"

namespace tessera::sim {
namespace {

class CycleModelOnArray : public ::testing::TestWithParam<hls::ArrayShape> {};

TEST_P(CycleModelOnArray, MatchesTheRtlWithinFivePercent) {
  auto rtl = make_rtl_gemm(GetParam());
  std::mt19937 rng(static_cast<unsigned>(GetParam().rows * 3 + 1));
  const int s = GetParam().rows;
  std::uniform_int_distribution<int> dim(1, 4 * s + 3), depth(1, 400);
  int exact = 0;
  const int cases = 40;
  for (int i = 0; i < cases; ++i) {
    const int m = dim(rng), n = dim(rng), k = i == 0 ? rtl->buffer_words() : depth(rng);
    const auto a =
        testing::random_int8(static_cast<std::size_t>(m) * static_cast<std::size_t>(k), rng);
    const auto w =
        testing::random_int8(static_cast<std::size_t>(n) * static_cast<std::size_t>(k), rng);
    for (bool preloaded : {false, true}) {
      RtlStreamOptions options;
      options.preload_operands = preloaded;
      const RtlGemmResult measured = rtl->gemm(a.data(), w.data(), m, n, k, options);
      const GemmTiming model = gemm_timing(GetParam(), rtl->buffer_words(), m, n, k, preloaded);
      const double rtl_cycles =
          static_cast<double>(preloaded ? measured.compute_cycles : measured.cycles);
      const double model_cycles =
          static_cast<double>(preloaded ? model.compute_cycles : model.total_cycles);
      EXPECT_LE(std::fabs(model_cycles - rtl_cycles) / rtl_cycles, 0.05)
          << m << "x" << n << "x" << k << (preloaded ? " preloaded" : " streamed") << ": model "
          << model_cycles << ", rtl " << rtl_cycles;
      EXPECT_EQ(model.jobs, measured.jobs);
      exact += model_cycles == rtl_cycles ? 1 : 0;
    }
  }
  RecordProperty("exact_cases", exact);
  EXPECT_EQ(exact, 2 * cases) << "the model drifted from the RTL (still within 5%): recalibrate";
}

TEST_P(CycleModelOnArray, VectorModeMatchesTheRtlExactly) {
  auto rtl = make_rtl_gemm(GetParam());
  std::mt19937 rng(static_cast<unsigned>(GetParam().rows * 5 + 2));
  const int s = GetParam().rows;
  std::uniform_int_distribution<int> outputs(1, 4 * s * s + 3), depth(s, 500);
  for (int i = 0; i < 30; ++i) {
    const int n = outputs(rng), k = i == 0 ? s : depth(rng);
    const auto a = testing::random_int8(static_cast<std::size_t>(k), rng);
    const auto w =
        testing::random_int8(static_cast<std::size_t>(n) * static_cast<std::size_t>(k), rng);
    for (bool preloaded : {false, true}) {
      RtlStreamOptions options;
      options.preload_operands = preloaded;
      const RtlGemmResult measured = rtl->gemv(a.data(), w.data(), n, k, options);
      const GemmTiming model = gemv_timing(GetParam(), n, k, preloaded);
      EXPECT_EQ(model.total_cycles, measured.cycles)
          << "gemv N = " << n << ", K = " << k << (preloaded ? " preloaded" : " streamed");
      EXPECT_EQ(model.compute_cycles, measured.compute_cycles) << "gemv N = " << n << ", K = " << k;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Arrays, CycleModelOnArray, ::testing::ValuesIn(rtl_arrays()),
                         [](const auto& test_info) {
                           return "a" + std::to_string(test_info.param.rows) + "x" +
                                  std::to_string(test_info.param.cols);
                         });

TEST(CycleModel, AttentionMatchesTheRtlUnit) {
  auto rtl = make_rtl_attention();
  std::mt19937 rng(41);
  for (const testing::AttentionShape shape :
       {testing::AttentionShape{1, 1, 8, 0, 1}, testing::AttentionShape{8, 4, 8, 37, 1},
        testing::AttentionShape{8, 4, 8, 100, 7}, testing::AttentionShape{4, 1, 32, 500, 2}}) {
    const auto in = testing::random_attention_input(shape, rng);
    models::int8_reference::AttentionOutput out;
    const RtlAttentionStats measured = rtl->attention(testing::attention_args(in, out), {});
    const std::uint64_t model =
        attention_call_cycles(shape.n_queries, shape.first_position, shape.n_heads);
    EXPECT_LE(std::fabs(static_cast<double>(model) - static_cast<double>(measured.cycles)) /
                  static_cast<double>(measured.cycles),
              0.05);
    EXPECT_EQ(model, measured.cycles) << "the model drifted from the RTL: recalibrate";
  }
  EXPECT_THROW(attention_job_cycles(0), std::invalid_argument);
}

TEST(CycleModel, RejectsSizesTheEngineCannotRun) {
  EXPECT_THROW(gemm_timing({16, 16}, 4096, 0, 1, 1, false), std::invalid_argument);
  EXPECT_THROW(gemm_timing({16, 16}, 4096, 1, 1, 5000, false), std::invalid_argument);
  EXPECT_THROW(gemm_timing({16, 16}, 4096, 1, 1, 1, false, 0.0), std::invalid_argument);
}

}  // namespace
}  // namespace tessera::sim
