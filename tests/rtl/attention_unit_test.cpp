// Co-verification of the attention unit (rtl/attention) against the HLS model, bit
// for bit, on every GQA grouping and phase (decode, prefill), with stalls, reset and
// bad scales.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <regex>

#include "tessera/hls/kernels.hpp"
#include "tessera/sim/rtl_attention.hpp"

namespace tessera::sim {
namespace {

struct Shape {
  int n_heads, n_kv_heads, head_size, first_position, n_queries;
};

struct Case {
  Shape shape;
  std::vector<std::int8_t> q, k, v;
  std::vector<float> q_scale, k_scale, v_scale;

  hls::AttentionArgs args(std::vector<std::int32_t>& out,
                          std::vector<numerics::AttentionNorm>& norm) const {
    out.assign(static_cast<std::size_t>(shape.n_queries * shape.n_heads * shape.head_size), -1);
    norm.assign(static_cast<std::size_t>(shape.n_queries * shape.n_heads), {});
    hls::AttentionArgs a;
    a.q = q.data();
    a.q_scale = q_scale.data();
    a.k = k.data();
    a.k_scale = k_scale.data();
    a.v = v.data();
    a.v_scale = v_scale.data();
    a.n_queries = shape.n_queries;
    a.first_position = shape.first_position;
    a.n_heads = shape.n_heads;
    a.n_kv_heads = shape.n_kv_heads;
    a.head_size = shape.head_size;
    a.out = out.data();
    a.norm = norm.data();
    return a;
  }
};

Case random_case(const Shape& s, std::mt19937& rng) {
  std::uniform_int_distribution<int> byte(-128, 127);
  auto bytes = [&](std::size_t n) {
    std::vector<std::int8_t> v(n);
    for (auto& x : v) x = static_cast<std::int8_t>(byte(rng));
    return v;
  };
  auto scales = [&](std::size_t n, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
  };
  const auto positions = static_cast<std::size_t>(s.first_position + s.n_queries);
  const auto hs = static_cast<std::size_t>(s.head_size);
  const auto queries = static_cast<std::size_t>(s.n_queries * s.n_heads);
  const auto kv = positions * static_cast<std::size_t>(s.n_kv_heads);
  Case c{s,
         bytes(queries * hs),
         bytes(kv * hs),
         bytes(kv * hs),
         scales(queries, 0.002f, 0.03f),
         scales(kv, 0.002f, 0.05f),
         scales(kv, 0.0005f, 0.2f)};
  for (auto& x : c.q_scale) x = numerics::attention_query_scale(x, s.head_size);
  return c;
}

void expect_rtl_matches_hls(RtlAttention& rtl, const Case& c,
                            const RtlStreamOptions& options = {}) {
  std::vector<std::int32_t> hls_out, rtl_out;
  std::vector<numerics::AttentionNorm> hls_norm, rtl_norm;
  ASSERT_EQ(hls::attention(c.args(hls_out, hls_norm)), hls::Status::kOk);
  rtl.attention(c.args(rtl_out, rtl_norm), options);
  ASSERT_EQ(rtl_out, hls_out);
  for (std::size_t i = 0; i < hls_norm.size(); ++i) {
    ASSERT_EQ(rtl_norm[i].max_weight, hls_norm[i].max_weight) << i;
    ASSERT_EQ(rtl_norm[i].exp_sum, hls_norm[i].exp_sum) << i;
    ASSERT_EQ(rtl_norm[i].exponent, hls_norm[i].exponent) << i;
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
    std::vector<std::int32_t> out;
    std::vector<numerics::AttentionNorm> norm;
    rtl->start_then_reset(c.args(out, norm), cycles);
    expect_rtl_matches_hls(*rtl, c);
  }
}

TEST(RtlAttention, RejectsBadScalesAndShapes) {
  auto rtl = make_rtl_attention();
  std::mt19937 rng(9);
  Case c = random_case({2, 1, 8, 3, 1}, rng);
  std::vector<std::int32_t> out;
  std::vector<numerics::AttentionNorm> norm;
  c.v_scale[2] = -1.0f;
  EXPECT_THROW(rtl->attention(c.args(out, norm), {}), std::invalid_argument);
  c = random_case({1, 1, 64, 3, 1}, rng);
  EXPECT_THROW(rtl->attention(c.args(out, norm), {}), std::invalid_argument);
  c = random_case({1, 1, 8, rtl->context_max(), 1}, rng);
  EXPECT_THROW(rtl->attention(c.args(out, norm), {}), std::invalid_argument);
}

// The unit's exp2 table is generated from numerics::kExp2Table: keep them equal.
TEST(RtlAttention, Exp2TableMatchesTheContract) {
  std::ifstream in(TESSERA_EXP2_TABLE_SVH);
  ASSERT_TRUE(in) << TESSERA_EXP2_TABLE_SVH;
  const std::regex entry(R"(8'd(\d+): exp2_table = 17'd(\d+);)");
  std::string line;
  int seen = 0;
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, entry)) continue;
    const int j = std::stoi(m[1]);
    ASSERT_LT(j, 256);
    EXPECT_EQ(static_cast<std::uint32_t>(std::stoul(m[2])), numerics::kExp2Table[j]) << j;
    ++seen;
  }
  EXPECT_EQ(seen, 256);
}

}  // namespace
}  // namespace tessera::sim
