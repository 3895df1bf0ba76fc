// The build pastes the contract's exp2 table into the CPU fallback's OpenCL C kernels
// (OpenCL C cannot include the C++ header): the embedded kernels hold that table.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "runtime/opencl_kernels.hpp"
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

}  // namespace
}  // namespace tessera::runtime
