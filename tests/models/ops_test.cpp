// The fp32 host ops against their textbook definitions.
#include "tessera/models/ops.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace tessera::models {
namespace {

Eigen::VectorXf random_vector(Eigen::Index n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist;
  Eigen::VectorXf v(n);
  for (Eigen::Index i = 0; i < n; ++i) v[i] = dist(rng);
  return v;
}

TEST(RmsNorm, MatchesDefinition) {
  const Eigen::VectorXf x = random_vector(64, 1), w = random_vector(64, 2);
  Eigen::VectorXf out(64);
  rmsnorm(out, x, w, 1e-5f);
  double ss = 0;
  for (float v : x) ss += static_cast<double>(v) * static_cast<double>(v);
  const double inv = 1.0 / std::sqrt(ss / 64 + 1e-5);
  for (Eigen::Index i = 0; i < 64; ++i) {
    EXPECT_NEAR(out[i], static_cast<double>(w[i] * x[i]) * inv, 1e-5);
  }
}

TEST(RmsNorm, EpsilonKeepsZeroFinite) {
  Eigen::VectorXf out(8);
  rmsnorm(out, Eigen::VectorXf::Zero(8), Eigen::VectorXf::Ones(8), 1e-5f);
  EXPECT_TRUE(out.allFinite());
  EXPECT_EQ(out, Eigen::VectorXf::Zero(8));
}

// RoPE rotates pair (2i, 2i+1) of each head by pos * theta^(-2i/head_size): check
// against a double-precision rotation written from the formula, for llama2.c's theta
// and Llama 3's.
TEST(Rope, RotatesAdjacentPairsPerHead) {
  const int head_size = 8, heads = 3;
  for (const double theta : {10000.0, 500000.0}) {
    for (int pos : {0, 1, 7, 300}) {
      const Eigen::VectorXf x = random_vector(head_size * heads, 3);
      Eigen::VectorXf y = x;
      apply_rope(y, pos, head_size, static_cast<float>(theta));
      for (int h = 0; h < heads; ++h) {
        for (int i = 0; i < head_size / 2; ++i) {
          const int a = h * head_size + 2 * i;
          const double angle = pos * std::pow(theta, -2.0 * i / head_size);
          const double xa = x[a], xb = x[a + 1];
          const double ya = xa * std::cos(angle) - xb * std::sin(angle);
          const double yb = xa * std::sin(angle) + xb * std::cos(angle);
          EXPECT_NEAR(y[a], ya, 2e-4) << "pos " << pos << " head " << h << " pair " << i;
          EXPECT_NEAR(y[a + 1], yb, 2e-4);
        }
      }
    }
  }
}

TEST(Rope, PreservesPairNormsAndIsIdentityAtZero) {
  const Eigen::VectorXf x = random_vector(32, 4);
  Eigen::VectorXf y = x;
  apply_rope(y, 0, 8, 10000.0f);
  EXPECT_EQ(y, x);
  apply_rope(y, 123, 8, 10000.0f);
  for (Eigen::Index i = 0; i < 32; i += 2) {
    EXPECT_NEAR(std::hypot(y[i], y[i + 1]), std::hypot(x[i], x[i + 1]), 1e-5);
  }
}

TEST(Softmax, MatchesDoublePrecisionEvenForLargeLogits) {
  // Logits near 1000 overflow exp() unless the maximum is subtracted first.
  for (float shift : {0.0f, 1000.0f}) {
    Eigen::VectorXf x = random_vector(50, 5).array() + shift;
    const Eigen::VectorXd exact_in = x.cast<double>();
    const Eigen::ArrayXd e = (exact_in.array() - exact_in.maxCoeff()).exp();
    const Eigen::VectorXd exact = e / e.sum();
    softmax_in_place(x.data(), 50);
    EXPECT_NEAR(static_cast<double>(x.sum()), 1.0, 1e-6);
    for (Eigen::Index i = 0; i < 50; ++i) {
      EXPECT_NEAR(static_cast<double>(x[i]), exact[i], 1e-6) << "shift " << shift;
    }
  }
}

TEST(SwiGlu, MatchesDefinition) {
  const Eigen::VectorXf g = random_vector(20, 6), u = random_vector(20, 7);
  Eigen::VectorXf h(20);
  swiglu(h, g, u);
  for (Eigen::Index i = 0; i < 20; ++i) {
    const double gate = g[i], up = u[i];
    EXPECT_NEAR(h[i], gate / (1.0 + std::exp(-gate)) * up, 1e-6);
  }
}

}  // namespace
}  // namespace tessera::models
