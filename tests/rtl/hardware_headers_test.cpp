// The RTL's register map, DMA shape, record layout and exp2 table are generated from
// the C++ definitions (sim/gen/generate_hardware_headers.cpp): the generated files say
// what the C++ says, and no hand-kept copy is left in rtl/ to drift from them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "tessera/numerics/int8.hpp"
#include "tessera/sim/dma_shape.hpp"
#include "tessera/sim/record_layout.hpp"
#include "tessera/sim/register_map.hpp"

namespace tessera::sim {
namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(HardwareHeaders, RegistersAreTheCppRegisterMap) {
  const std::string svh = read_text(TESSERA_REGISTERS_SVH);
  std::map<std::string, unsigned> generated;
  const std::regex entry(R"(localparam logic \[7:0\] REG_(\w+) = 8'h([0-9a-f]{2});)");
  for (auto it = std::sregex_iterator(svh.begin(), svh.end(), entry); it != std::sregex_iterator();
       ++it) {
    generated[(*it)[1]] = static_cast<unsigned>(std::stoul((*it)[2], nullptr, 16));
  }
  std::map<std::string, unsigned> expected;
#define TESSERA_REGISTER(cpp_name, rtl_name, offset, access, meaning) \
  expected[#rtl_name] = reg::cpp_name;
#include "tessera/sim/register_map.inc"
#undef TESSERA_REGISTER
  EXPECT_EQ(generated, expected);
  EXPECT_NE(svh.find("ID_VALUE = 32'h54535241;"), std::string::npos) << svh;
}

TEST(HardwareHeaders, DmaShapeIsTheCppShape) {
  const std::string svh = read_text(TESSERA_DMA_SVH);
  std::map<std::string, std::size_t> generated;
  const std::regex entry(R"(localparam int (\w+) = (\d+);)");
  for (auto it = std::sregex_iterator(svh.begin(), svh.end(), entry); it != std::sregex_iterator();
       ++it) {
    generated[(*it)[1]] = std::stoul((*it)[2]);
  }
  const std::map<std::string, std::size_t> expected = {
      {"VECTOR_BURST_BEATS", dma::kVectorBurstBeats}, {"GATHER_GROUPS", dma::kGatherGroups}};
  EXPECT_EQ(generated, expected);
}

TEST(HardwareHeaders, RecordLayoutIsTheCppLayout) {
  const std::string svh = read_text(TESSERA_RECORDS_SVH);
  std::map<std::string, std::pair<int, int>> generated;
  const std::regex entry(R"(localparam int (\w+) = (\d+) \* HS_MAX \+ (\d+);)");
  for (auto it = std::sregex_iterator(svh.begin(), svh.end(), entry); it != std::sregex_iterator();
       ++it) {
    generated[(*it)[1]] = {std::stoi((*it)[2]), std::stoi((*it)[3])};
  }
  std::map<std::string, std::pair<int, int>> expected;
#define TESSERA_RECORD(cpp_name, rtl_name, size_lanes, size_bytes) \
  expected[#rtl_name "_BYTES"] = {record::cpp_name##Bytes.lanes, record::cpp_name##Bytes.bytes};
#define TESSERA_RECORD_FIELD(cpp_name, rtl_name, at_lanes, at_bytes) \
  expected[#rtl_name "_AT"] = {record::cpp_name.lanes, record::cpp_name.bytes};
#include "tessera/sim/record_layout.inc"
#undef TESSERA_RECORD_FIELD
#undef TESSERA_RECORD
  EXPECT_EQ(generated, expected);
  EXPECT_EQ(expected.size(), 13u);
  // The same extents as functions of a job's lane count (ATT_HEAD_SIZE).
  std::map<std::string, std::pair<int, int>> functions;
  const std::regex function(
      R"(function automatic int (\w+)_FOR\(input int lanes\);\s*\w+_FOR = (\d+) \* lanes \+ (\d+);)");
  for (auto it = std::sregex_iterator(svh.begin(), svh.end(), function);
       it != std::sregex_iterator(); ++it) {
    functions[(*it)[1]] = {std::stoi((*it)[2]), std::stoi((*it)[3])};
  }
  EXPECT_EQ(functions, expected);
}

TEST(HardwareHeaders, Exp2TableIsTheContracts) {
  const std::string svh = read_text(TESSERA_EXP2_TABLE_SVH);
  const std::regex entry(R"(8'd(\d+): exp2_table = 17'd(\d+);)");
  int seen = 0;
  for (auto it = std::sregex_iterator(svh.begin(), svh.end(), entry); it != std::sregex_iterator();
       ++it, ++seen) {
    const int j = std::stoi((*it)[1]);
    ASSERT_EQ(j, seen);
    EXPECT_EQ(static_cast<std::uint32_t>(std::stoul((*it)[2])), numerics::kExp2Table[j]) << j;
  }
  EXPECT_EQ(seen, 256);
}

// A register offset or table entry written by hand in rtl/ would be a second source.
TEST(HardwareHeaders, NoHandKeptCopiesInTheRtl) {
  const std::regex copies(R"(localparam[^;]*\bREG_\w+\s*=|exp2_table\s*=\s*17'd|32'h54535241|)"
                          R"(\b(VECTOR_BURST_BEATS|GATHER_GROUPS)\s*=\s*\d)");
  int files = 0;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(TESSERA_SOURCE_DIR "/rtl")) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const std::string text = read_text(entry.path());
    EXPECT_FALSE(std::regex_search(text, copies)) << entry.path() << " keeps its own copy";
  }
  EXPECT_GE(files, 5);
}

}  // namespace
}  // namespace tessera::sim
