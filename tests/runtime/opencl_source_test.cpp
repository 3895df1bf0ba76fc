// The CPU fallback's OpenCL C kernels: the build pastes the contract's exp2 table into
// them (OpenCL C cannot include the C++ header), and their GEMMs, run by PoCL, give the
// HLS C model's integers.
#include <gtest/gtest.h>

#include <list>
#include <random>
#include <sstream>
#include <string>

#include "runtime/opencl_kernels.hpp"
#include "tessera/hls/gemm_i8.hpp"
#include "tessera/numerics/int8.hpp"

namespace tessera::runtime {
namespace {

TEST(OpenClSource, Exp2TableIsTheContracts) {
  const std::string source = int8_kernels_source();
  const auto start = source.find("kExp2Table[256] = {");
  ASSERT_NE(start, std::string::npos);
  const auto open = source.find('{', start), close = source.find('}', start);
  std::string values = source.substr(open + 1, close - open - 1);
  for (char& ch : values) {
    if (ch == ',') ch = ' ';
  }
  std::istringstream in(values);
  std::size_t count = 0;
  for (std::uint32_t value = 0; in >> value; ++count) {
    ASSERT_LT(count, 256u);
    EXPECT_EQ(value, numerics::kExp2Table[count]) << "entry " << count;
  }
  EXPECT_EQ(count, 256u);
}

// Depths around every step of the int8 dot product (64-, 16- and 1-byte steps) and
// past its prefetch distance; single calls and the 2- and 3-call batch kernel.
TEST(OpenClSource, GemmsGiveTheCModelsIntegers) {
  OpenClKernels cpu("Portable Computing Language", "", OpenClKernels::Kernels::kSource, 1);
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> byte(-128, 127), width(1, 40);
  // The kernels keep a device buffer per weight pointer: every matrix stays alive.
  std::list<std::vector<std::int8_t>> matrices;
  auto random_matrix = [&](int rows, int k) -> const std::int8_t* {
    auto& values = matrices.emplace_back(static_cast<std::size_t>(rows * k));
    for (auto& v : values) v = static_cast<std::int8_t>(byte(rng));
    return values.data();
  };
  for (int k : {1, 15, 16, 17, 63, 64, 65, 80, 127, 128, 768, 4099, 9000}) {
    for (int m : {1, 3}) {
      for (int calls : {1, 2, 3}) {
        const std::int8_t* a = random_matrix(m, k);
        std::vector<hls::GemmArgs> batch(static_cast<std::size_t>(calls));
        std::list<std::vector<std::int32_t>> got, expected;
        for (hls::GemmArgs& g : batch) {
          g.a = a;
          g.m = m;
          g.n = width(rng);
          g.k = k;
          g.w = random_matrix(g.n, k);
          g.c_int32 = got.emplace_back(static_cast<std::size_t>(m * g.n), -1).data();
        }
        cpu.gemms(batch);
        auto result = got.begin();
        for (hls::GemmArgs g : batch) {
          g.c_int32 = expected.emplace_back(static_cast<std::size_t>(m * g.n)).data();
          ASSERT_EQ((hls::gemm_i8<8, 8>(g)), hls::Status::kOk);
          EXPECT_EQ(*result++, expected.back())
              << m << "x" << g.n << "x" << k << " in a batch of " << calls;
        }
      }
    }
  }
}

}  // namespace
}  // namespace tessera::runtime
