// attention_i8 (HLS C model) against the nested-loop int8 reference, bit for bit,
// and the contract's softmax against fp32 attention.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "support/attention_case.hpp"
#include "tessera/hls/kernels.hpp"
#include "tessera/models/int8_reference.hpp"

namespace tessera::hls {
namespace {

using models::int8_reference::AttentionInput;
using models::int8_reference::AttentionOutput;

using Case = testing::AttentionShape;

AttentionInput random_input(const Case& c, std::mt19937& rng) {
  return testing::random_attention_input(c, rng);
}

AttentionOutput run_kernel(const AttentionInput& in, Status expected = Status::kOk) {
  AttentionOutput out;
  EXPECT_EQ(attention(testing::attention_args(in, out)), expected);
  return out;
}

void expect_identical(const AttentionOutput& got, const AttentionOutput& want) {
  ASSERT_EQ(got.acc, want.acc);
  ASSERT_EQ(got.norms.size(), want.norms.size());
  for (std::size_t i = 0; i < want.norms.size(); ++i) {
    EXPECT_EQ(got.norms[i].max_weight, want.norms[i].max_weight) << i;
    EXPECT_EQ(got.norms[i].exp_sum, want.norms[i].exp_sum) << i;
    EXPECT_EQ(got.norms[i].exponent, want.norms[i].exponent) << i;
  }
}

class AttentionCases : public ::testing::TestWithParam<Case> {};

TEST_P(AttentionCases, RandomInputsMatchTheReference) {
  std::mt19937 rng(static_cast<unsigned>(GetParam().first_position * 31 + GetParam().n_kv_heads));
  for (int trial = 0; trial < 5; ++trial) {
    const AttentionInput in = random_input(GetParam(), rng);
    expect_identical(run_kernel(in), models::int8_reference::attention(in));
  }
}

// Decode steps (one query) and prefill blocks, with every GQA grouping of 8 query
// heads (stories260K uses 8 over 4) and head sizes from 8 to 128.
INSTANTIATE_TEST_SUITE_P(Shapes, AttentionCases,
                         ::testing::Values(Case{8, 4, 8, 0, 1}, Case{8, 4, 8, 37, 1},
                                           Case{8, 4, 8, 511, 1}, Case{8, 4, 8, 0, 16},
                                           Case{8, 4, 8, 100, 7}, Case{8, 8, 8, 20, 3},
                                           Case{8, 2, 16, 60, 1}, Case{8, 1, 32, 9, 4},
                                           Case{4, 4, 64, 200, 2}, Case{2, 1, 128, 33, 1},
                                           Case{1, 1, 256, 5, 2}),
                         [](const auto& test_info) {
                           const Case& c = test_info.param;
                           return std::to_string(c.n_heads) + "q" + std::to_string(c.n_kv_heads) +
                                  "kv_hs" + std::to_string(c.head_size) + "_at" +
                                  std::to_string(c.first_position) + "_x" +
                                  std::to_string(c.n_queries);
                         });

TEST(Attention, AdversarialInputs) {
  std::mt19937 rng(77);
  AttentionInput in = random_input({8, 4, 8, 40, 2}, rng);
  const auto check = [&](const char* what) {
    SCOPED_TRACE(what);
    expect_identical(run_kernel(in), models::int8_reference::attention(in));
  };
  std::fill(in.q.begin(), in.q.end(), std::int8_t{127});
  std::fill(in.k.begin(), in.k.end(), std::int8_t{-127});
  std::fill(in.v.begin(), in.v.end(), std::int8_t{127});
  check("all extremes");
  std::fill(in.k.begin(), in.k.end(), std::int8_t{0});
  check("all keys zero: a flat softmax");
  std::fill(in.v_scale.begin(), in.v_scale.end(), 0.0f);
  check("all value scales zero");
  in = random_input({8, 4, 8, 40, 2}, rng);
  for (std::size_t i = 0; i < in.k_scale.size(); ++i) in.k_scale[i] = i % 2 ? 1e-6f : 10.0f;
  for (std::size_t i = 0; i < in.v_scale.size(); ++i) in.v_scale[i] = i % 3 ? 1e-7f : 50.0f;
  check("scales spread over many octaves: saturated logits, vanishing weights");
}

// The contract approximates fp32 attention: its output, dequantized, stays within a
// few per cent of the exact softmax(q·k) v of the same int8 inputs.
TEST(Attention, ApproximatesFloatAttention) {
  std::mt19937 rng(3);
  const Case c{4, 2, 16, 63, 1};
  const AttentionInput in = random_input(c, rng);
  const AttentionOutput out = run_kernel(in);
  for (int h = 0; h < c.n_heads; ++h) {
    const int kvh = h / 2;
    std::vector<double> p(64);
    double max_logit = -1e300;
    for (int t = 0; t < 64; ++t) {
      double s = 0;
      for (int i = 0; i < 16; ++i) {
        s += in.q[static_cast<std::size_t>(h * 16 + i)] *
             in.k[static_cast<std::size_t>((t * 2 + kvh) * 16 + i)];
      }
      // The query scale holds log2(e)/sqrt(hs): this is the natural-log logit.
      p[static_cast<std::size_t>(t)] = s * in.q_scale[static_cast<std::size_t>(h)] *
                                       in.k_scale[static_cast<std::size_t>(t * 2 + kvh)] /
                                       std::log2(std::exp(1.0));
      max_logit = std::max(max_logit, p[static_cast<std::size_t>(t)]);
    }
    double z = 0;
    for (auto& x : p) z += (x = std::exp(x - max_logit));
    const float scale = numerics::attention_output_scale(out.norms[static_cast<std::size_t>(h)]);
    double error = 0, norm = 0;
    for (int i = 0; i < 16; ++i) {
      double exact = 0;
      for (int t = 0; t < 64; ++t) {
        const auto row = static_cast<std::size_t>(t * 2 + kvh);
        exact += p[static_cast<std::size_t>(t)] / z * in.v[row * 16 + static_cast<std::size_t>(i)] *
                 in.v_scale[row];
      }
      const double got = out.acc[static_cast<std::size_t>(h * 16 + i)] * static_cast<double>(scale);
      error += (got - exact) * (got - exact);
      norm += exact * exact;
    }
    EXPECT_LT(std::sqrt(error / norm), 0.03) << "head " << h;
  }
}

TEST(Attention, RejectsWhatItCannotMap) {
  std::mt19937 rng(1);
  AttentionInput in = random_input({8, 4, 8, 3, 1}, rng);
  in.n_kv_heads = 3;
  run_kernel(in, Status::kBadHeads);
  in = random_input({1, 1, 300, 0, 1}, rng);
  run_kernel(in, Status::kBadHeads);
  in = random_input({1, 1, 8, kAttentionContextMax, 1}, rng);
  run_kernel(in, Status::kContextTooLong);
  in = random_input({2, 1, 8, 4, 1}, rng);
  in.v_scale[3] = -1.0f;
  run_kernel(in, Status::kBadScale);
  in = random_input({2, 1, 8, 4, 1}, rng);
  in.n_queries = 0;
  run_kernel(in, Status::kBadShape);
}

}  // namespace
}  // namespace tessera::hls
