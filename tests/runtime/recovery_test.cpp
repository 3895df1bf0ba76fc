// Recovery: a GEMM the accelerator reports wrong runs once more there, then on the
// CPU; the results kept are the last run's, and each step is counted.
#include "runtime/recovery.hpp"

#include <gtest/gtest.h>

#include "tessera/hls/kernels.hpp"

namespace tessera::runtime {
namespace {

// An accelerator that reports its first `failures` runs wrong (after writing wrong
// results, as the device does) and computes the rest with the fast kernel.
class FlakyAccelerator final : public Int8Kernels {
 public:
  explicit FlakyAccelerator(int failures) : failures_(failures) {}
  void gemm(const hls::GemmArgs& g) override {
    ++runs;
    if (runs <= failures_) {
      std::fill(g.c_int32, g.c_int32 + static_cast<std::ptrdiff_t>(g.m) * g.n, -1);
      throw ChecksumMismatch("checksums disagreed");
    }
    hls::fast_gemm_or_throw(g);
  }
  void attention(const hls::AttentionArgs&) override { FAIL() << "no attention here"; }
  int runs = 0;

 private:
  int failures_;
};

class CountingCpu final : public Int8Kernels {
 public:
  void gemm(const hls::GemmArgs& g) override {
    ++runs;
    hls::fast_gemm_or_throw(g);
  }
  void attention(const hls::AttentionArgs&) override { FAIL() << "no attention here"; }
  int runs = 0;
};

struct Gemm {
  std::vector<std::int8_t> a = std::vector<std::int8_t>(2 * 5, 3);
  std::vector<std::int8_t> w = std::vector<std::int8_t>(4 * 5, -2);
  std::vector<std::int32_t> c = std::vector<std::int32_t>(2 * 4, 0);
  hls::GemmArgs args() {
    hls::GemmArgs g;
    g.a = a.data();
    g.w = w.data();
    g.m = 2;
    g.n = 4;
    g.k = 5;
    g.c_int32 = c.data();
    return g;
  }
};

TEST(Recovery, EachFailureGoesOneStepFurther) {
  for (const auto& [failures, on_accelerator, on_cpu] :
       {std::tuple{0, 0, 0}, std::tuple{1, 1, 0}, std::tuple{2, 0, 1}, std::tuple{9, 0, 1}}) {
    FlakyAccelerator accelerator(failures);
    CountingCpu cpu;
    Gemm gemm;
    Recovery counts;
    gemms_recovering(accelerator, cpu, {gemm.args()}, counts);
    EXPECT_EQ(gemm.c, std::vector<std::int32_t>(8, 5 * 3 * -2)) << failures;
    EXPECT_EQ(counts.checksum_errors, static_cast<std::uint64_t>(std::min(failures, 2)));
    EXPECT_EQ(counts.on_accelerator, static_cast<std::uint64_t>(on_accelerator));
    EXPECT_EQ(counts.on_cpu, static_cast<std::uint64_t>(on_cpu));
    EXPECT_EQ(accelerator.runs, std::min(failures + 1, 2));
    EXPECT_EQ(cpu.runs, on_cpu);
  }
}

TEST(Recovery, OtherErrorsAreNotRecovered) {
  class Broken final : public Int8Kernels {
   public:
    void gemm(const hls::GemmArgs&) override { throw std::runtime_error("device lost"); }
    void attention(const hls::AttentionArgs&) override {}
  } broken;
  CountingCpu cpu;
  Gemm gemm;
  Recovery counts;
  EXPECT_THROW(gemms_recovering(broken, cpu, {gemm.args()}, counts), std::runtime_error);
  EXPECT_EQ(cpu.runs, 0);
  EXPECT_EQ(counts.checksum_errors, 0u);
}

}  // namespace
}  // namespace tessera::runtime
