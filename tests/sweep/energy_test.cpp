// The energy estimate: events from the counters times the config's energies, plus
// static power over the time, worked by hand for one small run.
#include "bench/energy.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "tessera/hls/hardware_config.hpp"

namespace tessera::bench {
namespace {

TEST(Energy, EventsTimesTheirEnergiesPlusStaticPower) {
  hls::HardwareConfig config = hls::load_preset("kv260");
  ASSERT_TRUE(config.energy.modeled);
  config.energy = {true, 0.5, 2.0, 50.0, 10.0, 4.0};
  const auto counters = nlohmann::ordered_json::parse(R"({
    "units": [
      {"unit": "gemm0", "macs": 1000000, "bytes_read": 2000, "compute_cycles": 100},
      {"unit": "attention0", "macs": 0, "bytes_read": 300, "compute_cycles": 7}],
    "memory": {"bytes_read": 4000, "bytes_written": 1000},
    "host_link": {"bytes_to_device": 64, "bytes_from_device": 36}})");
  const auto e = estimate_energy(config, counters, 1e-3);
  ASSERT_TRUE(e.has_value());
  EXPECT_DOUBLE_EQ(e->mac_joules, 1e6 * 0.5e-12);
  // gemm0: 2,000 bytes in + 100 cycles x (16 + 16) bytes out; attention0: 300 twice.
  EXPECT_DOUBLE_EQ(e->buffer_joules, (2000 + 100 * 32 + 600) * 2.0e-12);
  EXPECT_DOUBLE_EQ(e->memory_joules, 5000 * 50e-12);
  EXPECT_DOUBLE_EQ(e->host_link_joules, 100 * 10e-12);
  EXPECT_DOUBLE_EQ(e->static_joules, 4.0 * 1e-3);
  const auto json = e->to_json(4, 1e-3);
  EXPECT_DOUBLE_EQ(json.at("joules_per_token").get<double>(), e->joules() / 4);
  EXPECT_DOUBLE_EQ(json.at("average_watts").get<double>(), e->joules() / 1e-3);

  config.energy.modeled = false;
  EXPECT_FALSE(estimate_energy(config, counters, 1e-3).has_value());
}

TEST(Energy, ConfigFieldsAreChecked) {
  auto text = nlohmann::ordered_json::parse(std::ifstream(hls::preset_file("kv260")));
  text["energy"]["memory_byte_pj"] = -1;
  EXPECT_THROW(hls::parse_hardware_config(text.dump(), "x.json"), hls::ConfigError);
  text["energy"].erase("memory_byte_pj");
  try {
    hls::parse_hardware_config(text.dump(), "x.json");
    ADD_FAILURE() << "a missing energy field is accepted";
  } catch (const hls::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("energy.memory_byte_pj"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tessera::bench
