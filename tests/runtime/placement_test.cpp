// --place: the auto placement's decisions from its cost model, and the measured CPU
// rate it uses, kept per machine.
#include "runtime/placement.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "runtime/cpu_rate.hpp"
#include "support/model_files.hpp"
#include "tessera/hls/hardware_config.hpp"

namespace tessera::runtime {
namespace {

models::ModelConfig stories110m_like() {
  models::ModelConfig c;
  c.dim = 768;
  c.hidden_dim = 2048;
  c.n_layers = 12;
  c.n_heads = 12;
  c.n_kv_heads = 12;
  c.vocab_size = 32000;
  c.seq_len = 1024;
  return c;
}

TEST(Placement, AutoWeighsTheAcceleratorAgainstTheMeasuredCpu) {
  const hls::HardwareConfig kv260 = hls::load_preset("kv260");
  // A CPU far slower than the board's memory: everything on the accelerator.
  const Placement slow = auto_placement(stories110m_like(), kv260, 256, {1e8, 1e-4, "test"});
  EXPECT_EQ(slow.describe(), "0-11:accel,head:accel");
  EXPECT_NE(slow.reason.find("0.10 G MAC/s, 100.0 us per call"), std::string::npos) << slow.reason;
  // One far faster with free calls: everything on the CPU.
  const Placement fast = auto_placement(stories110m_like(), kv260, 256, {1e15, 0, "test"});
  EXPECT_EQ(fast.describe(), "0-11:cpu,head:cpu");
  // Per-call cost alone can decide: the same rate, calls of ten milliseconds.
  const Placement overhead = auto_placement(stories110m_like(), kv260, 256, {1e15, 1e-2, "test"});
  EXPECT_EQ(overhead.describe(), "0-11:accel,head:accel");
  EXPECT_THROW(auto_placement(stories110m_like(), kv260, 256, {0, 0, "test"}),
               std::invalid_argument);
}

TEST(Placement, AutoKeepsBlocksThatDoNotFitOnTheCpu) {
  hls::HardwareConfig tiny = hls::load_preset("kv260");
  // 90 % of 100 MiB holds the classifier (24.6 MB) and seven blocks (8.75 MB each:
  // 7.08 MB of weights, a 1,024-position K/V cache of 1.67 MB), not eight.
  tiny.memory.bytes = 100ull << 20;
  const Placement p = auto_placement(stories110m_like(), tiny, 1024, {1e8, 1e-4, "test"});
  EXPECT_EQ(p.describe(), "0-6:accel,7-11:cpu,head:accel");
}

TEST(CpuRate, MeasuredOncePerMachineAndKept) {
  testing::TempDir dir("cpu-rate");
  const std::filesystem::path cache = dir / "tessera" / "cpu_rate.json";
  const CpuRate first = cpu_fallback_rate(cache);
  EXPECT_GT(first.macs_per_second, 0.0);
  EXPECT_GE(first.seconds_per_call, 0.0);
  EXPECT_EQ(first.source.rfind("measured now", 0), 0u) << first.source;
  EXPECT_TRUE(std::filesystem::exists(cache));
  const CpuRate again = cpu_fallback_rate(cache);
  EXPECT_EQ(again.macs_per_second, first.macs_per_second);
  EXPECT_EQ(again.source.rfind("cached in ", 0), 0u) << again.source;
}

TEST(CpuRate, TheCacheFollowsXdgCacheHome) {
  const char* saved = std::getenv("XDG_CACHE_HOME");
  const std::string restore = saved == nullptr ? "" : saved;
  ASSERT_EQ(setenv("XDG_CACHE_HOME", "/somewhere", 1), 0);
  EXPECT_EQ(default_cpu_rate_cache(), std::filesystem::path("/somewhere/tessera/cpu_rate.json"));
  if (saved == nullptr) {
    unsetenv("XDG_CACHE_HOME");
  } else {
    setenv("XDG_CACHE_HOME", restore.c_str(), 1);
  }
}

}  // namespace
}  // namespace tessera::runtime
