#include "tessera/models/sampler.hpp"

#include <gtest/gtest.h>

#include <map>

namespace tessera::models {
namespace {

// Values of llama2.c's xorshift* for seed 133742, computed independently in Python.
TEST(Xorshift, MatchesLlama2cSequence) {
  Xorshift rng(133742);
  EXPECT_EQ(rng.next_u32(), 3033531262u);
  EXPECT_EQ(rng.next_u32(), 2674377904u);
  EXPECT_EQ(rng.next_u32(), 2312864567u);
  Xorshift one(1);
  EXPECT_EQ(one.next_u32(), 1206177355u);
}

TEST(Xorshift, FloatIsTopBitsOfU32) {
  Xorshift a(99), b(99);
  for (int i = 0; i < 1000; ++i) {
    const float f = a.next_f32();
    EXPECT_EQ(f, static_cast<float>(b.next_u32() >> 8) / 16777216.0f);
    EXPECT_GE(f, 0.0f);
    EXPECT_LT(f, 1.0f);
  }
}

Eigen::VectorXf logits_of(std::initializer_list<float> values) {
  Eigen::VectorXf v(static_cast<Eigen::Index>(values.size()));
  Eigen::Index i = 0;
  for (float x : values) v[i++] = x;
  return v;
}

TEST(Sampler, GreedyTakesFirstMaximum) {
  Sampler s(5, {0.0f, 0.9f, 1});
  EXPECT_EQ(s.sample(logits_of({0.1f, 3.0f, -2.0f, 3.0f, 1.0f})), 1);
}

TEST(Sampler, SameSeedSameTokens) {
  const Eigen::VectorXf logits = Eigen::VectorXf::LinSpaced(64, -2.0f, 2.0f);
  Sampler a(64, {1.0f, 0.9f, 42}), b(64, {1.0f, 0.9f, 42}), c(64, {1.0f, 0.9f, 43});
  std::vector<int> from_a, from_b, from_c;
  for (int i = 0; i < 200; ++i) {
    from_a.push_back(a.sample(logits));
    from_b.push_back(b.sample(logits));
    from_c.push_back(c.sample(logits));
  }
  EXPECT_EQ(from_a, from_b);
  EXPECT_NE(from_a, from_c);
}

// With a known coin the full-distribution sampler picks the first token whose
// cumulative probability exceeds it.
TEST(Sampler, FullDistributionFollowsTheCdf) {
  const std::uint64_t seed = 133742;  // first coin 0.7062990...
  // Probabilities 0.1, 0.2, 0.3, 0.4 from their logs: cdf 0.1, 0.3, 0.6, 1.0.
  const Eigen::VectorXf logits =
      logits_of({std::log(0.1f), std::log(0.2f), std::log(0.3f), std::log(0.4f)});
  Sampler s(4, {1.0f, 1.0f, seed});
  EXPECT_EQ(s.sample(logits), 3);
  Sampler zero_top_p(4, {1.0f, 0.0f, seed});
  EXPECT_EQ(zero_top_p.sample(logits), 3);
}

TEST(Sampler, TopPSamplesOnlyTheNucleus) {
  // Sorted: 0.4 (id 3), 0.3 (id 2), 0.2 (id 1), 0.1 (id 0). With top-p 0.5 the
  // nucleus is {3, 2} (cumulative 0.7); the coin 0.706 scaled to 0.494 lands in id 2.
  const Eigen::VectorXf logits =
      logits_of({std::log(0.1f), std::log(0.2f), std::log(0.3f), std::log(0.4f)});
  Sampler s(4, {1.0f, 0.5f, 133742});
  EXPECT_EQ(s.sample(logits), 2);
  // Over many draws only nucleus tokens appear, in roughly their renormalised odds.
  Sampler many(4, {1.0f, 0.5f, 7});
  std::map<int, int> counts;
  for (int i = 0; i < 20000; ++i) ++counts[many.sample(logits)];
  EXPECT_EQ(counts.count(0), 0u);
  EXPECT_EQ(counts.count(1), 0u);
  EXPECT_NEAR(counts[3] / 20000.0, 0.4 / 0.7, 0.02);
}

TEST(Sampler, TemperatureSharpensAndFlattens) {
  const Eigen::VectorXf logits = logits_of({0.0f, 1.0f});
  auto share_of_second = [&](float temperature) {
    Sampler s(2, {temperature, 1.0f, 5});
    int second = 0;
    for (int i = 0; i < 20000; ++i) second += s.sample(logits);
    return second / 20000.0;
  };
  const double p1 = 1.0 / (1.0 + std::exp(-1.0));
  EXPECT_NEAR(share_of_second(1.0f), p1, 0.015);
  EXPECT_NEAR(share_of_second(0.25f), 1.0 / (1.0 + std::exp(-4.0)), 0.015);
  EXPECT_NEAR(share_of_second(4.0f), 1.0 / (1.0 + std::exp(-0.25)), 0.015);
}

TEST(Sampler, TinyTopPFallsBackToTheMostLikelyToken) {
  Eigen::VectorXf uniform = Eigen::VectorXf::Zero(512);
  uniform[77] = 1e-4f;  // barely the most likely
  Sampler s(512, {1.0f, 0.001f, 3});
  EXPECT_EQ(s.sample(uniform), 77);
}

TEST(Sampler, RejectsInvalidSettings) {
  EXPECT_THROW(Sampler(4, {-0.1f, 0.9f, 1}), std::invalid_argument);
  EXPECT_THROW(Sampler(4, {std::nanf(""), 0.9f, 1}), std::invalid_argument);
  EXPECT_THROW(Sampler(4, {1.0f, 1.5f, 1}), std::invalid_argument);
  EXPECT_THROW(Sampler(4, {1.0f, -0.5f, 1}), std::invalid_argument);
  EXPECT_THROW(Sampler(4, {1.0f, 0.9f, 0}), std::invalid_argument);
  EXPECT_THROW(Sampler(0, {1.0f, 0.9f, 1}), std::invalid_argument);
  Sampler s(4, {1.0f, 0.9f, 1});
  EXPECT_THROW(s.sample(Eigen::VectorXf::Zero(5)), std::invalid_argument);
}

}  // namespace
}  // namespace tessera::models
