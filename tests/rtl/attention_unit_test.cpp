// Co-verification of the attention unit (rtl/attention) against the HLS model, bit
// for bit, on every GQA grouping and phase (decode, prefill), with stalls, reset and
// bad scales.
#include <gtest/gtest.h>

#include <random>

#include "support/attention_case.hpp"
#include "tessera/hls/kernels.hpp"
#include "tessera/sim/rtl_attention.hpp"

namespace tessera::sim {
namespace {

using Shape = testing::AttentionShape;
using Case = models::int8_reference::AttentionInput;
using Output = models::int8_reference::AttentionOutput;

Case random_case(const Shape& s, std::mt19937& rng) {
  return testing::random_attention_input(s, rng);
}

void expect_rtl_matches_hls(RtlAttention& rtl, const Case& c,
                            const RtlStreamOptions& options = {}) {
  Output hls_result, rtl_result;
  ASSERT_EQ(hls::attention(testing::attention_args(c, hls_result)), hls::Status::kOk);
  rtl.attention(testing::attention_args(c, rtl_result), options);
  ASSERT_EQ(rtl_result.acc, hls_result.acc);
  for (std::size_t i = 0; i < hls_result.norms.size(); ++i) {
    ASSERT_EQ(rtl_result.norms[i].max_weight, hls_result.norms[i].max_weight) << i;
    ASSERT_EQ(rtl_result.norms[i].exp_sum, hls_result.norms[i].exp_sum) << i;
    ASSERT_EQ(rtl_result.norms[i].exponent, hls_result.norms[i].exponent) << i;
  }
}

class RtlAttentionShapes : public ::testing::TestWithParam<Shape> {};

TEST_P(RtlAttentionShapes, RandomInputsMatchTheHlsModel) {
  auto rtl = make_rtl_attention();
  std::mt19937 rng(static_cast<unsigned>(GetParam().first_position * 7 + GetParam().n_kv_heads));
  for (int trial = 0; trial < 3; ++trial) {
    const Case c = random_case(GetParam(), rng);
    RtlStreamOptions options;
    options.seed = static_cast<std::uint32_t>(trial + 1);
    if (trial == 2) {
      options.operand_valid_rate = 0.5;
      options.result_ready_rate = 0.3;
    }
    expect_rtl_matches_hls(*rtl, c, options);
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, RtlAttentionShapes,
                         ::testing::Values(Shape{8, 4, 8, 0, 1}, Shape{8, 4, 8, 37, 1},
                                           Shape{8, 4, 8, 511, 1}, Shape{8, 4, 8, 0, 16},
                                           Shape{8, 4, 8, 100, 7}, Shape{8, 8, 8, 20, 3},
                                           Shape{8, 2, 16, 60, 1}, Shape{8, 1, 32, 9, 4},
                                           Shape{4, 4, 32, 200, 2}, Shape{2, 1, 5, 1000, 1}),
                         [](const auto& test_info) {
                           const Shape& s = test_info.param;
                           return std::to_string(s.n_heads) + "q" + std::to_string(s.n_kv_heads) +
                                  "kv_hs" + std::to_string(s.head_size) + "_at" +
                                  std::to_string(s.first_position) + "_x" +
                                  std::to_string(s.n_queries);
                         });

TEST(RtlAttention, AdversarialInputs) {
  auto rtl = make_rtl_attention();
  std::mt19937 rng(77);
  Case c = random_case({8, 4, 8, 40, 2}, rng);
  std::fill(c.q.begin(), c.q.end(), std::int8_t{127});
  std::fill(c.k.begin(), c.k.end(), std::int8_t{-128});
  std::fill(c.v.begin(), c.v.end(), std::int8_t{-128});
  expect_rtl_matches_hls(*rtl, c);
  std::fill(c.k.begin(), c.k.end(), std::int8_t{0});
  expect_rtl_matches_hls(*rtl, c);
  std::fill(c.v_scale.begin(), c.v_scale.end(), 0.0f);
  expect_rtl_matches_hls(*rtl, c);
  c = random_case({8, 4, 8, 40, 2}, rng);
  for (std::size_t i = 0; i < c.k_scale.size(); ++i) c.k_scale[i] = i % 2 ? 1e-6f : 10.0f;
  for (std::size_t i = 0; i < c.v_scale.size(); ++i) c.v_scale[i] = i % 3 ? 1e-7f : 50.0f;
  c.q_scale[0] = 1e30f;   // saturating logits
  c.q_scale[1] = 1e-40f;  // subnormal
  expect_rtl_matches_hls(*rtl, c);
}

TEST(RtlAttention, RecoversFromResetInTheMiddleOfAJob) {
  auto rtl = make_rtl_attention();
  std::mt19937 rng(5);
  const Case c = random_case({8, 4, 8, 63, 1}, rng);
  for (int cycles : {1, 30, 70, 120, 150}) {
    Output ignored;
    rtl->start_then_reset(testing::attention_args(c, ignored), cycles);
    expect_rtl_matches_hls(*rtl, c);
  }
}

TEST(RtlAttention, RejectsBadScalesAndShapes) {
  auto rtl = make_rtl_attention();
  std::mt19937 rng(9);
  Case c = random_case({2, 1, 8, 3, 1}, rng);
  Output out;
  c.v_scale[2] = -1.0f;
  EXPECT_THROW(rtl->attention(testing::attention_args(c, out), {}), std::invalid_argument);
  c = random_case({1, 1, 64, 3, 1}, rng);
  EXPECT_THROW(rtl->attention(testing::attention_args(c, out), {}), std::invalid_argument);
  c = random_case({1, 1, 8, rtl->context_max(), 1}, rng);
  EXPECT_THROW(rtl->attention(testing::attention_args(c, out), {}), std::invalid_argument);
}

}  // namespace
}  // namespace tessera::sim
