// The device memory model against published measurements and against bounds computed
// from the configuration alone (refresh duty, activate window, lateral switch links).
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "support/memory_bounds.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/sim/dram_model.hpp"
#include "tessera/sim/memory_bench.hpp"

namespace tessera::sim {
namespace {

using testing::activate_bound_gbps;
using testing::lateral_bound_gbps;
using testing::refresh_bound_gbps;

TEST(MemoryModel, U280SequentialReadsMatchShuhaisMeasurement) {
  const hls::HardwareConfig c = hls::load_preset("u280");
  ASSERT_GT(c.memory.measured_gbps, 0.0) << "configs/u280.json cites a measurement";
  MemoryBenchOptions shuhais_setup;  // one traffic generator per pseudo-channel
  shuhais_setup.ports = c.memory.channels;
  const MemoryBenchResult r = measure_memory(c, shuhais_setup);
  // Independent side: the published figure in the config (Shuhai, FCCM 2020).
  EXPECT_NEAR(r.achieved_gbps, c.memory.measured_gbps, 0.03 * c.memory.measured_gbps);
  EXPECT_LE(r.achieved_gbps, refresh_bound_gbps(c) * 1.0001);
  EXPECT_EQ(r.lateral_bytes, 0u) << "sequential reads stay behind each port's own switch";
}

TEST(MemoryModel, Kv260SequentialReadsWithinTheRefreshEstimate) {
  const hls::HardwareConfig c = hls::load_preset("kv260");
  const MemoryBenchResult r = measure_memory(c, {});
  EXPECT_NEAR(r.achieved_gbps, refresh_bound_gbps(c), 0.05 * refresh_bound_gbps(c));
  EXPECT_LE(r.achieved_gbps, refresh_bound_gbps(c) * 1.0001);
}

TEST(MemoryModel, RandomSmallReadsFallToTheActivateWindow) {
  for (const char* preset : {"kv260", "u280"}) {
    const hls::HardwareConfig c = hls::load_preset(preset);
    MemoryBenchOptions options;
    options.bytes = 4 << 20;
    const double sequential = measure_memory(c, options).achieved_gbps;
    options.pattern = MemoryPattern::kRandom;
    const MemoryBenchResult random = measure_memory(c, options);
    EXPECT_EQ(random.request_bytes, 64u);
    EXPECT_LT(random.achieved_gbps, 0.5 * sequential) << preset;
    EXPECT_LE(random.achieved_gbps, activate_bound_gbps(c, 64) * 1.0001) << preset;
    EXPECT_GT(random.row_misses, random.row_hits) << preset;
  }
}

TEST(MemoryModel, StripedTrafficThroughTheSwitchIsBoundByItsLateralLinks) {
  const hls::HardwareConfig c = hls::load_preset("u280");
  MemoryBenchOptions options;
  options.pattern = MemoryPattern::kInterleaved;
  // 2 MiB a port: whole stripes of the 32 channels' 4 KiB granules.
  options.bytes = static_cast<std::uint64_t>(c.gemm.count + c.attention.count) << 21;
  const MemoryBenchResult r = measure_memory(c, options);
  const double bound = lateral_bound_gbps(c);
  EXPECT_LE(r.achieved_gbps, bound * 1.001);
  EXPECT_GT(r.achieved_gbps, 0.9 * bound);
  // Seven of eight switches are remote to every port.
  EXPECT_EQ(r.lateral_bytes * 8, r.requests * r.request_bytes * 7);
}

TEST(MemoryModel, WithoutDramTimingChannelsAreIdealPipes) {
  hls::HardwareConfig c = hls::load_preset("kv260");
  c.memory.dram = {};
  MemoryBenchOptions options;
  options.bytes = 16 << 20;
  const MemoryBenchResult r = measure_memory(c, options);
  EXPECT_GT(r.achieved_gbps, 0.99 * c.memory.bandwidth_gbps);
  EXPECT_LE(r.achieved_gbps, c.memory.bandwidth_gbps * 1.0001);
}

// One request's timing, worked out by hand from the kv260 config: a row miss costs
// precharge + activate, a hit none, a change of direction the turnaround.
TEST(MemoryModel, RowMissesHitsAndTurnaroundsCostWhatTheConfigSays) {
  const hls::HardwareConfig c = hls::load_preset("kv260");
  DramModel model(c);
  const double start = 1e-6;  // between two refreshes
  const double per_byte = 1.0 / (c.memory.bandwidth_gbps * 1e9);
  const double miss = c.memory.dram.row_miss_ns * 1e-9;
  const double first = model.transfer(1, 0, 64, false, start);
  EXPECT_NEAR(first - start, miss + 64 * per_byte, 1e-12);
  const double hit = model.transfer(1, 64, 64, false, first);
  EXPECT_NEAR(hit - first, 64 * per_byte, 1e-12);
  const double write = model.transfer(1, 128, 64, true, hit);
  EXPECT_NEAR(write - hit, c.memory.dram.turnaround_ns * 1e-9 + 64 * per_byte, 1e-12);
  // Another row of the same bank: it waits for the bank, then precharge + activate.
  const auto same_bank = static_cast<std::uint64_t>(c.memory.dram.page_bytes) *
                         static_cast<std::uint64_t>(c.memory.dram.banks);
  const double conflict = model.transfer(1, same_bank, 64, true, write);
  EXPECT_NEAR(conflict - write, miss + 64 * per_byte, 1e-12);
  EXPECT_EQ(model.statistics().row_misses, 2u);
  EXPECT_EQ(model.statistics().row_hits, 2u);
}

TEST(MemoryModel, RefreshStopsAChannelForTheRefreshTime) {
  const hls::HardwareConfig c = hls::load_preset("kv260");
  DramModel model(c);
  // Channel 0 refreshes from time 0: a request then waits until the refresh ends.
  const double done = model.transfer(1, 0, 64, false, 0.0);
  const double expected = (c.memory.dram.refresh_ns + c.memory.dram.row_miss_ns) * 1e-9 +
                          64.0 / (c.memory.bandwidth_gbps * 1e9);
  EXPECT_NEAR(done, expected, 1e-12);
}

TEST(MemoryModel, ImpossibleBenchOptionsAreRefused) {
  const hls::HardwareConfig c = hls::load_preset("kv260");
  MemoryBenchOptions options;
  options.ports = 3;  // kv260 has two units
  EXPECT_THROW(measure_memory(c, options), std::invalid_argument);
  options = {};
  options.request_bytes = 3000;
  EXPECT_THROW(measure_memory(c, options), std::invalid_argument);
  options = {};
  options.bytes = c.memory.bytes;
  EXPECT_THROW(measure_memory(c, options), std::invalid_argument);
  options = {};
  options.pattern = MemoryPattern::kStrided;
  options.stride_bytes = 100;
  EXPECT_THROW(measure_memory(c, options), std::invalid_argument);
}

TEST(MemoryModel, ConfigTimingErrorsNameTheField) {
  const auto with_memory = [](const std::string& memory) {
    return R"({"name": "x", "description": "x", "clock_mhz": 300,
      "gemm_units": {"count": 1, "rows": 16, "cols": 16, "buffer_words": 4096},
      "attention_units": {"count": 1, "head_size_max": 128, "context_max": 4096},
      "memory": )" +
           memory + R"(,
      "host_link": {"bandwidth_gbps": 4, "latency_us": 1}, "address_bits": 32,
      "board": {"dsp_slices": 1248, "bram36": 144, "uram": 64}})";
  };
  const auto error = [&](const std::string& memory) {
    try {
      hls::parse_hardware_config(with_memory(memory), "x.json");
    } catch (const hls::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  const std::string base =
      R"({"bytes": 4294967296, "bandwidth_gbps": 19.2, "latency_ns": 120, "channels": 4)";
  EXPECT_EQ(error(base + "}"), "accepted");
  const std::string dram =
      R"("dram": {"page_bytes": 8192, "banks": 8, "row_miss_ns": 28, "activate_window_ns": 30,
                  "refresh_interval_ns": 7800, "refresh_ns": 350, "turnaround_ns": 7.5})";
  EXPECT_EQ(error(base + ", " + dram + "}"), "accepted");
  std::string slow_refresh = dram;
  slow_refresh.replace(slow_refresh.find("350"), 3, "9000");
  EXPECT_NE(error(base + ", " + slow_refresh + "}").find("memory.dram.refresh_ns = 9000"),
            std::string::npos);
  EXPECT_NE(error(base + R"(, "switch": {"channels_per_switch": 3, "lateral_links": 2}})")
                .find("memory.switch.channels_per_switch = 3 must divide memory.channels = 4"),
            std::string::npos);
  EXPECT_NE(error(base + R"(, "measured_gbps": 25})").find("exceeds the peak"), std::string::npos);
  EXPECT_NE(error(base + R"(, "dram": {"page_bytes": 8192}})").find("memory.dram.banks is missing"),
            std::string::npos);
}

}  // namespace
}  // namespace tessera::sim
