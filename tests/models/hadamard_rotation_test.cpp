// The matmul-input rotation of the int8 path: orthogonal, block-Hadamard shaped, and
// consistent with the rotated weights, so the int8 product still approximates W x.
#include "tessera/models/hadamard_rotation.hpp"

#include <gtest/gtest.h>

#include <Eigen/Core>
#include <cmath>
#include <random>
#include <vector>

#include "tessera/models/quantized_model.hpp"

namespace tessera::models {
namespace {

Eigen::VectorXf rotated(Eigen::VectorXf x) {
  hadamard_rotate(x.data(), static_cast<int>(x.size()));
  return x;
}

Eigen::MatrixXf rotation_matrix(int n) {
  Eigen::MatrixXf r(n, n);
  for (int j = 0; j < n; ++j) r.col(j) = rotated(Eigen::VectorXf::Unit(n, j));
  return r;
}

class RotationSizes : public ::testing::TestWithParam<int> {};

TEST_P(RotationSizes, IsOrthogonal) {
  const int n = GetParam();
  const Eigen::MatrixXf r = rotation_matrix(n);
  EXPECT_TRUE((r.transpose() * r).isIdentity(1e-5f)) << "n = " << n;
}

// Column j is ± column (j - start) of the Sylvester Hadamard matrix of j's block,
// normalised; blocks are the largest powers of two that fit, in decreasing order.
TEST_P(RotationSizes, IsBlockHadamardWithSignFlips) {
  const int n = GetParam();
  const Eigen::MatrixXf r = rotation_matrix(n);
  int start = 0;
  while (start < n) {
    int block = 1;
    while (2 * block <= n - start) block *= 2;
    const float magnitude = 1.0f / std::sqrt(static_cast<float>(block));
    for (int j = start; j < start + block; ++j) {
      const float sign = r(start, j) > 0 ? 1.0f : -1.0f;
      for (int i = 0; i < n; ++i) {
        const bool inside = i >= start && i < start + block;
        const int bits = __builtin_popcount(static_cast<unsigned>((i - start) & (j - start)));
        const float expected = inside ? sign * magnitude * (bits % 2 ? -1.0f : 1.0f) : 0.0f;
        ASSERT_NEAR(r(i, j), expected, 1e-6f) << "n " << n << " row " << i << " col " << j;
      }
    }
    start += block;
  }
}

INSTANTIATE_TEST_SUITE_P(Widths, RotationSizes, ::testing::Values(1, 2, 7, 8, 64, 172, 288));

TEST(HadamardRotation, SpreadsAnOutlierOverItsBlock) {
  const Eigen::VectorXf spike = Eigen::VectorXf::Unit(64, 17) * 100.0f;
  EXPECT_NEAR(rotated(spike).cwiseAbs().maxCoeff(), 100.0f / 8.0f, 1e-4f);
  EXPECT_NEAR(rotated(spike).cwiseAbs().minCoeff(), 100.0f / 8.0f, 1e-4f);
}

TEST(HadamardRotation, FlipsSomeSignsButNotAll) {
  const Eigen::MatrixXf r = rotation_matrix(64);
  int flipped = 0;
  for (int j = 0; j < 64; ++j) flipped += r(0, j) < 0 ? 1 : 0;
  EXPECT_GT(flipped, 16);
  EXPECT_LT(flipped, 48);
}

// The int8 path's product: quantized W Rᵀ times the quantized R x, dequantized, is
// W x to within the rounding of both operands.
TEST(QuantizedMatrix, RotatedWeightsTimesRotatedInputsGiveTheProduct) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const int rows = 24, cols = 172;
  RowMajorMatrixXf w(rows, cols);
  for (int i = 0; i < w.size(); ++i) w.data()[i] = normal(rng);
  Eigen::VectorXf x(cols);
  for (int i = 0; i < cols; ++i) x[i] = normal(rng);
  x[3] = 40.0f;  // an outlier

  const QuantizedMatrix q = quantize_matrix(ConstMatrixView(w.data(), rows, cols));
  Eigen::VectorXf input = x;
  std::vector<std::int8_t> qx(static_cast<std::size_t>(cols));
  const float x_scale = quantize_matmul_input(input.data(), cols, qx.data());
  const Eigen::VectorXf exact = w * x;
  for (int r = 0; r < rows; ++r) {
    double acc = 0;
    for (int c = 0; c < cols; ++c) {
      acc += q.values[static_cast<std::size_t>(r * cols + c)] * qx[static_cast<std::size_t>(c)];
    }
    const double approx = acc * static_cast<double>(q.scales[static_cast<std::size_t>(r)]) *
                          static_cast<double>(x_scale);
    EXPECT_NEAR(approx, static_cast<double>(exact[r]), 0.02 * x.norm() * w.row(r).norm())
        << "row " << r;
  }
}

}  // namespace
}  // namespace tessera::models
