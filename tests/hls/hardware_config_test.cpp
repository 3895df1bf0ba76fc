// Hardware configurations: the shipped presets load and are buildable on their
// boards; broken ones are rejected with a message naming the field.
#include "tessera/hls/hardware_config.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace tessera::hls {
namespace {

using nlohmann::json;

json kv260_json() {
  return json::parse(R"({
    "name": "t", "description": "test", "clock_mhz": 300,
    "gemm_units": {"count": 1, "rows": 16, "cols": 16, "buffer_words": 4096},
    "attention_units": {"count": 1, "head_size_max": 128, "context_max": 4096},
    "memory": {"bytes": 4294967296, "bandwidth_gbps": 19.2, "latency_ns": 120, "channels": 1},
    "host_link": {"bandwidth_gbps": 4.0, "latency_us": 1.0},
    "address_bits": 32,
    "board": {"dsp_slices": 1248, "bram36": 144, "uram": 64}})");
}

std::string error_for(const json& config) {
  try {
    parse_hardware_config(config.dump(), "test.json");
  } catch (const ConfigError& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.rfind("test.json: ", 0), 0u) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    return message;
  }
  ADD_FAILURE() << "accepted " << config.dump();
  return {};
}

TEST(HardwareConfig, PresetsLoadAndFitTheirBoards) {
  for (const std::string& name : preset_names()) {
    SCOPED_TRACE(name);
    const HardwareConfig c = load_preset(name);
    EXPECT_EQ(c.name, name);
    // Every multiplier, GEMM and attention, within the slices at two per slice.
    EXPECT_LE(c.dsp_slices_lower_bound(), c.board.dsp_slices);
    EXPECT_LE(c.on_chip_bits_needed(), c.on_chip_bits_available());
    EXPECT_GT(c.board.luts, 0) << "presets give the board's fabric";
    // Logic within the board at the estimate's error.
    EXPECT_LE(static_cast<double>(c.luts_needed()) * (1.0 - kLogicEstimateError),
              static_cast<double>(c.board.luts));
    EXPECT_LE(static_cast<double>(c.flip_flops_needed()) * (1.0 - kLogicEstimateError),
              static_cast<double>(c.board.flip_flops));
    EXPECT_LE(c.memory.bytes, std::uint64_t{1} << c.address_bits);
  }
  // As the RTL maps them (one DSP slice per int8 multiplier) both fit: u280's seven
  // 32x32 engines take 1,027 slices each and its four 128-lane attention units 270;
  // kv260's top 530 with its four-word memory port (docs/rtl.md "Synthesis").
  EXPECT_TRUE(load_preset("kv260").fits_board());
  EXPECT_EQ(load_preset("kv260").dsp_slices_needed(), 530);
  EXPECT_TRUE(load_preset("u280").fits_board());
  EXPECT_EQ(load_preset("u280").dsp_slices_needed(), 7 * 1027 + 4 * 270);
  const HardwareConfig kv260 = load_preset("kv260");
  EXPECT_EQ(kv260.array().rows, 16);
  EXPECT_DOUBLE_EQ(kv260.memory.bandwidth_gbps, 19.2);
  EXPECT_NEAR(kv260.memory_bytes_per_cycle(), 64.0, 1e-9);
  const HardwareConfig u280 = load_preset("u280");
  EXPECT_EQ(u280.macs_per_cycle(), 7 * 32 * 32);
  EXPECT_EQ(u280.memory.channels, 32);
}

TEST(HardwareConfig, UnknownFieldsAreErrorsWithASuggestion) {
  json c = kv260_json();
  c["gemm_units"]["rowz"] = 8;
  EXPECT_NE(error_for(c).find("gemm_units.rowz is not a configuration field (did you mean "
                              "gemm_units.rows?)"),
            std::string::npos)
      << error_for(c);
  c = kv260_json();
  c["frobnicate"] = true;
  EXPECT_EQ(error_for(c), "test.json: frobnicate is not a configuration field");
  c = kv260_json();
  c["sources"]["anything"] = "free text";  // sources take any keys
  EXPECT_NO_THROW(parse_hardware_config(c.dump(), "test.json"));
}

TEST(HardwareConfig, TheTestConfigIsValid) {
  EXPECT_NO_THROW(parse_hardware_config(kv260_json().dump(), "test.json"));
}

TEST(HardwareConfig, RejectsZeroClockAndBandwidth) {
  json c = kv260_json();
  c["clock_mhz"] = 0;
  EXPECT_NE(error_for(c).find("clock_mhz = 0 must be positive"), std::string::npos);
  c = kv260_json();
  c["memory"]["bandwidth_gbps"] = 0;
  EXPECT_NE(error_for(c).find("memory.bandwidth_gbps = 0 must be positive"), std::string::npos);
  c = kv260_json();
  c["host_link"]["bandwidth_gbps"] = -3;
  EXPECT_NE(error_for(c).find("host_link.bandwidth_gbps"), std::string::npos);
}

TEST(HardwareConfig, RejectsBuffersSmallerThanATile) {
  json c = kv260_json();
  c["gemm_units"]["buffer_words"] = 16;
  EXPECT_NE(error_for(c).find("gemm_units.buffer_words = 16 is smaller than one tile"),
            std::string::npos);
}

// The top's data bus is one word of the array's row or a gather group of four.
TEST(HardwareConfig, MemoryPortIsOneWordOrFour) {
  json c = kv260_json();
  c["gemm_units"].erase("memory_port_words");
  EXPECT_EQ(parse_hardware_config(c.dump(), "test.json").gemm.port_bytes(), 16);
  c["gemm_units"]["memory_port_words"] = 4;
  EXPECT_EQ(parse_hardware_config(c.dump(), "test.json").gemm.port_bytes(), 64);
  c["gemm_units"]["memory_port_words"] = 2;
  EXPECT_NE(error_for(c).find("gemm_units.memory_port_words = 2 must be 1"), std::string::npos);
  c["gemm_units"]["memory_port_words"] = 0;
  EXPECT_NE(error_for(c).find("gemm_units.memory_port_words = 0 must be positive"),
            std::string::npos);
}

TEST(HardwareConfig, ChecksumsAreAFlagOffByDefaultAndCostPes) {
  json c = kv260_json();
  const HardwareConfig plain = parse_hardware_config(c.dump(), "test.json");
  EXPECT_FALSE(plain.gemm.checksums);
  c["gemm_units"]["checksums"] = true;
  const HardwareConfig checked = parse_hardware_config(c.dump(), "test.json");
  EXPECT_TRUE(checked.gemm.checksums);
  // A checksum row and column (16 + 16 more PEs) and the vector checksum PE, one DSP
  // slice each, and two of control (the 16x16 synthesis with checksums: 294 against 259).
  EXPECT_EQ(checked.dsp_slices_needed() - plain.dsp_slices_needed(), 35);
  c["gemm_units"]["checksums"] = "yes";
  EXPECT_NE(error_for(c).find("gemm_units.checksums must be true or false"), std::string::npos);
  c["gemm_units"]["checksums"] = 1;
  EXPECT_NE(error_for(c).find("gemm_units.checksums must be true or false"), std::string::npos);
}

TEST(HardwareConfig, RejectsMoreMemoryThanTheAddressMapHolds) {
  json c = kv260_json();
  c["memory"]["bytes"] = 8589934592.0;
  EXPECT_NE(
      error_for(c).find("memory.bytes = 8589934592 is more than the 32-bit address map holds"),
      std::string::npos);
}

TEST(HardwareConfig, RejectsDesignsTheBoardCannotHold) {
  json c = kv260_json();
  c["gemm_units"]["count"] = 20;  // 5,120 MACs per cycle on 1,248 DSPs
  EXPECT_NE(error_for(c).find("need at least 2762 DSP slices (5120 GEMM MACs and 256 attention "
                              "int8 multipliers at two per slice, and the units' control and "
                              "wide products), more than board.dsp_slices = 1248"),
            std::string::npos)
      << error_for(c);
  // The attention units count too: GEMM alone fits, attention lanes tip it over.
  c["gemm_units"]["count"] = 1;
  c["attention_units"]["count"] = 9;
  c["attention_units"]["head_size_max"] = 256;
  c["attention_units"]["context_max"] = 16;
  EXPECT_NE(error_for(c).find("need at least 2561 DSP slices"), std::string::npos) << error_for(c);
  c = kv260_json();
  c["attention_units"]["count"] = 6;
  EXPECT_NE(error_for(c).find("bits of on-chip buffers"), std::string::npos) << error_for(c);
  // Four 16x16 units fit the K26's DSP slices at two products per slice but not its
  // LUTs, even 15 % below the estimate: 16,061 per engine and 94,435 for the attention
  // unit (resource_model.hpp).
  c = kv260_json();
  c["board"]["luts"] = 117120;
  c["gemm_units"]["count"] = 4;
  EXPECT_NE(error_for(c).find("need about 158679 luts (1024 GEMM PEs and 1 attention units of "
                              "128 lanes), more than board.luts = 117120 even at the "
                              "estimate's 15 % error"),
            std::string::npos)
      << error_for(c);
  // Two are over by 8 %, within the estimate's error: valid, and they do not fit.
  c["gemm_units"]["count"] = 2;
  const HardwareConfig two = parse_hardware_config(c.dump(), "test.json");
  EXPECT_FALSE(two.fits_board());
  EXPECT_EQ(two.fit_shortfall(), "needs 126557 LUTs (an estimate), more than board.luts = 117120");
  c = kv260_json();
  c["gemm_units"]["rows"] = 12;
  EXPECT_NE(error_for(c).find("has no HLS kernel instantiation"), std::string::npos);
  c = kv260_json();
  c["gemm_units"]["rows"] = 0;
  EXPECT_NE(error_for(c).find("gemm_units.rows = 0 must be positive"), std::string::npos);
  c = kv260_json();
  c["attention_units"]["head_size_max"] = 1024;
  EXPECT_NE(error_for(c).find("attention_units.head_size_max"), std::string::npos);
}

TEST(HardwareConfig, RejectsMalformedFiles) {
  EXPECT_THROW(parse_hardware_config("{not json", "x.json"), ConfigError);
  EXPECT_THROW(parse_hardware_config("[1, 2]", "x.json"), ConfigError);
  // A number beyond double's range is nlohmann's out_of_range, not a parse_error.
  EXPECT_THROW(parse_hardware_config(R"({"clock_mhz": 1e999999})", "x.json"), ConfigError);
  json c = kv260_json();
  c.erase("memory");
  EXPECT_NE(error_for(c).find("memory.bytes is missing"), std::string::npos);
  c = kv260_json();
  c["gemm_units"]["rows"] = "sixteen";
  EXPECT_NE(error_for(c).find("gemm_units.rows must be a number"), std::string::npos);
  c = kv260_json();
  c["gemm_units"]["cols"] = 16.5;
  EXPECT_NE(error_for(c).find("whole number"), std::string::npos);
  EXPECT_THROW(load_preset("zx81"), ConfigError);
  EXPECT_THROW(load_preset("/nonexistent/board.json"), ConfigError);
}

}  // namespace
}  // namespace tessera::hls
