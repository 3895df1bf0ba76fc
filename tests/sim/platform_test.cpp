// The SystemC platform at its three fidelities against the HLS model, through the
// host driver: bit-identical results, tlm timing held to the rtl timing, contention.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "support/attention_case.hpp"
#include "support/random_data.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/hls/kernels.hpp"
#include "tessera/sim/device_abi.hpp"
#include "tessera/sim/platform_driver.hpp"

namespace tessera::sim {
namespace {

using testing::random_int8;

// A small device that makes the driver split work: two 8x8 GEMM units with
// 256-word buffers (K in chunks, few tiles per job) and kv260's four-word memory
// port, two attention units. Its rtl top is the one the build makes for
// tests/configs/kv260-8x8.json.
hls::HardwareConfig small_device() {
  hls::HardwareConfig c = hls::load_preset("kv260");
  c.gemm = {2, 8, 8, 256, false, hls::kWidePortWords};
  c.attention = {2, 32, 1024};
  return c;
}

struct GemmRun {
  std::vector<std::int32_t> c;
  std::uint64_t busy_cycles = 0, compute_cycles = 0, longest_unit = 0;
  double seconds = 0;
  std::vector<UnitCounters> units;
};

// No unit moves more than its memory port's data bus per clock in each direction, at
// any timed fidelity: an analytic bound from the config.
void expect_port_bound(const std::vector<UnitCounters>& units, const hls::HardwareConfig& config,
                       const std::string& what) {
  const auto word = static_cast<std::uint64_t>(config.gemm.port_bytes());
  for (const UnitCounters& u : units) {
    EXPECT_GE(u.busy_cycles * word, std::max(u.bytes_read, u.bytes_written)) << what << u.name;
  }
}

GemmRun run_gemm(Fidelity fidelity, const std::vector<std::int8_t>& a,
                 const std::vector<std::int8_t>& w, int m, int n, int k,
                 hls::HardwareConfig config = small_device()) {
  Platform platform(config, {fidelity, true, "", {}});
  PlatformDriver driver(platform);
  const auto weights = driver.upload_weights(w.data(), n, k);
  platform.reset_counters();
  GemmRun run;
  run.c.assign(static_cast<std::size_t>(m * n), 0);
  hls::GemmArgs g;
  g.a = a.data();
  g.m = m;
  g.n = n;
  g.k = k;
  g.c_int32 = run.c.data();
  driver.gemm(g, weights);
  run.units = platform.counters().units;
  for (const UnitCounters& u : run.units) {
    run.busy_cycles += u.busy_cycles;
    run.compute_cycles += u.compute_cycles;
    run.longest_unit = std::max(run.longest_unit, u.busy_cycles);
  }
  run.seconds = platform.counters().simulated_seconds;
  return run;
}

TEST(Platform, GemmIsBitIdenticalAtEveryFidelityAndTimedWithinThePortBound) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> dim(1, 40), depth(1, 700);
  for (int i = 0; i < 14; ++i) {
    // m = 1: vector mode (GEMV), except with K below the array's rows (GEMM jobs).
    const int m = i < 4 ? 1 : dim(rng), n = i < 4 ? 20 * dim(rng) : dim(rng);
    const int k = i == 1 ? 600 : i == 2 ? 5 : depth(rng);
    const auto a = random_int8(static_cast<std::size_t>(m * k), rng);
    const auto w = random_int8(static_cast<std::size_t>(n * k), rng);
    // The independent side: the nested-loop int8 reference, not the HLS C model the
    // func and tlm units run.
    const auto expected = models::int8_reference::gemm(a, w, m, n, k);
    const std::string shape = std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k);
    const GemmRun func = run_gemm(Fidelity::kFunc, a, w, m, n, k);
    const GemmRun tlm = run_gemm(Fidelity::kTlm, a, w, m, n, k);
    const GemmRun rtl = run_gemm(Fidelity::kRtl, a, w, m, n, k);
    EXPECT_EQ(func.c, expected) << shape;
    EXPECT_EQ(tlm.c, expected) << shape;
    EXPECT_EQ(rtl.c, expected) << shape;
    EXPECT_EQ(func.seconds, 0.0) << "func has no time";
    EXPECT_GT(tlm.seconds, 0.0);
    EXPECT_GT(rtl.seconds, 0.0);
    expect_port_bound(tlm.units, small_device(), "tlm " + shape + " ");
    expect_port_bound(rtl.units, small_device(), "rtl " + shape + " ");
  }
}

// Against the nested-loop int8 reference through the contract's epilogue.
TEST(Platform, EpiloguesMatchTheInt8Reference) {
  std::mt19937 rng(9);
  const int m = 3, n = 21, k = 300;
  const auto a = random_int8(static_cast<std::size_t>(m * k), rng);
  const auto w = random_int8(static_cast<std::size_t>(n * k), rng);
  std::vector<float> row_scale{0.01f, 0.2f, 3e-4f}, col_scale(static_cast<std::size_t>(n));
  for (auto& s : col_scale) s = std::uniform_real_distribution<float>(1e-4f, 0.1f)(rng);
  std::vector<float> expected(static_cast<std::size_t>(m * n)), got(expected.size());
  hls::GemmArgs g;
  g.a = a.data();
  g.w = w.data();
  g.m = m;
  g.n = n;
  g.k = k;
  g.epilogue = hls::Epilogue::kDequantize;
  g.row_scale = row_scale.data();
  g.col_scale = col_scale.data();
  g.c_fp32 = expected.data();
  const std::vector<std::int32_t> sums = models::int8_reference::gemm(a, w, m, n, k);
  for (int r = 0; r < m; ++r) {
    for (int c = 0; c < n; ++c) {
      hls::store_result(g, r, c, sums[static_cast<std::size_t>(r * n + c)]);
    }
  }
  Platform platform(small_device(), {Fidelity::kTlm, true, "", {}});
  PlatformDriver driver(platform);
  g.c_fp32 = got.data();
  driver.gemm(g, driver.upload_weights(w.data(), n, k));
  EXPECT_EQ(got, expected);
}

TEST(Platform, AttentionIsBitIdenticalAtEveryFidelity) {
  std::mt19937 rng(3);
  const std::vector<testing::AttentionShape> shapes = {
      {8, 4, 8, 0, 1}, {8, 2, 8, 37, 1}, {4, 4, 16, 11, 3}, {8, 1, 32, 200, 2}};
  for (const auto& shape : shapes) {
    const auto input = testing::random_attention_input(shape, rng);
    models::int8_reference::AttentionOutput out[3];
    // The independent side: the nested-loop int8 reference.
    const models::int8_reference::AttentionOutput expected_out =
        models::int8_reference::attention(input);
    const Fidelity fidelities[3] = {Fidelity::kFunc, Fidelity::kTlm, Fidelity::kRtl};
    std::uint64_t busy[3] = {};
    std::vector<UnitCounters> units[3];
    for (int f = 0; f < 3; ++f) {
      Platform platform(small_device(), {fidelities[f], true, "", {}});
      PlatformDriver driver(platform);
      auto cache = driver.allocate_kv_cache(shape.n_kv_heads, shape.head_size,
                                            shape.first_position + shape.n_queries);
      driver.attention(testing::attention_args(input, out[f]), cache);
      units[f] = platform.counters().units;
      for (const UnitCounters& u : units[f]) busy[f] += u.compute_cycles;
      EXPECT_EQ(out[f].acc, expected_out.acc) << to_string(fidelities[f]);
      for (std::size_t i = 0; i < expected_out.norms.size(); ++i) {
        EXPECT_EQ(out[f].norms[i].max_weight, expected_out.norms[i].max_weight);
        EXPECT_EQ(out[f].norms[i].exp_sum, expected_out.norms[i].exp_sum);
        EXPECT_EQ(out[f].norms[i].exponent, expected_out.norms[i].exponent);
      }
    }
    EXPECT_EQ(busy[0], 0u);
    EXPECT_GT(busy[1], 0u);
    EXPECT_GT(busy[2], 0u);
    expect_port_bound(units[1], small_device(), "tlm attention ");
    expect_port_bound(units[2], small_device(), "rtl attention ");
  }
}

// Grouped-query attention: one job per (query, kv head) serves the kv head's group
// of query heads, so the attention units read each K/V record once per group (and
// each query head's query record once): exactly this many bytes, from the record
// layout of docs/rtl.md. At rtl the top's attention port reads them (ATT_GROUP).
TEST(Platform, AttentionReadsEachKvRecordOncePerGroup) {
  std::mt19937 rng(4);
  for (const Fidelity fidelity : {Fidelity::kTlm, Fidelity::kRtl}) {
    for (const testing::AttentionShape& shape : std::vector<testing::AttentionShape>{
             {8, 4, 8, 20, 1}, {8, 1, 32, 9, 2}, {4, 4, 16, 5, 1}}) {
      const auto input = testing::random_attention_input(shape, rng);
      Platform platform(small_device(), {fidelity, true, "", {}});
      PlatformDriver driver(platform);
      auto cache = driver.allocate_kv_cache(shape.n_kv_heads, shape.head_size,
                                            shape.first_position + shape.n_queries);
      models::int8_reference::AttentionOutput out;
      driver.attention(testing::attention_args(input, out), cache);
      const AttentionRecords records = attention_records(small_device(), shape.head_size);
      std::uint64_t expected = 0, read = 0, jobs = 0;
      for (int j = 0; j < shape.n_queries; ++j) {
        const auto positions = static_cast<std::uint64_t>(shape.first_position + j + 1);
        expected += static_cast<std::uint64_t>(shape.n_kv_heads) * positions * records.kv_bytes() +
                    static_cast<std::uint64_t>(shape.n_heads) * records.query_bytes();
      }
      for (const UnitCounters& u : platform.counters().units) {
        if (u.name.rfind("attention", 0) != 0) continue;
        read += u.bytes_read;
        jobs += u.jobs;
      }
      EXPECT_EQ(read, expected) << to_string(fidelity);
      EXPECT_EQ(jobs, static_cast<std::uint64_t>(shape.n_queries * shape.n_kv_heads));
      EXPECT_EQ(out.acc, models::int8_reference::attention(input).acc) << to_string(fidelity);
    }
  }
}

// The counters of one GEMV job (1 x n x k) on `config`'s first unit: the second of two
// alike, so that the weights' upload is no longer queued at the memory.
UnitCounters second_gemv_job(const hls::HardwareConfig& config, Fidelity fidelity, int n, int k,
                             std::mt19937& rng) {
  const auto a = random_int8(static_cast<std::size_t>(k), rng);
  const auto w = random_int8(static_cast<std::size_t>(n * k), rng);
  Platform platform(config, {fidelity, true, "", {}});
  PlatformDriver driver(platform);
  const auto weights = driver.upload_weights(w.data(), n, k);
  std::vector<std::int32_t> c(static_cast<std::size_t>(n));
  hls::GemmArgs g;
  g.a = a.data();
  g.m = 1;
  g.n = n;
  g.k = k;
  g.c_int32 = c.data();
  driver.gemm(g, weights);
  platform.reset_counters();
  driver.gemm(g, weights);
  return platform.counters().units.front();
}

// A GEMV job's DMA on kv260 (one 16x16 unit): A, W and the results cross the port a
// word per clock, and only the last burst of the reads and of the write waits for the
// memory's latency, since W's bursts issue right behind A's as the RTL top's burst
// splitter issues them (docs/platform.md "Timing"). The bound comes from the config:
// words through the port plus two latencies, and a few clocks for the DRAM's first
// activate; reading W only after A had arrived took a third latency.
TEST(Platform, AGemmJobsWBurstsFollowItsABurstsWithoutALatencyBetween) {
  hls::HardwareConfig kv260 = hls::load_preset("kv260");
  kv260.gemm.memory_port_words = 1;  // a port-bound job; 64 bytes a clock are DRAM-bound
  std::mt19937 rng(11);
  const UnitCounters unit = second_gemv_job(kv260, Fidelity::kTlm, 256, 512, rng);
  ASSERT_EQ(unit.jobs, 1u);
  const auto word = static_cast<std::uint64_t>(kv260.gemm.rows);
  const std::uint64_t port_clocks = (unit.bytes_read + unit.bytes_written) / word;
  const auto latency =
      static_cast<std::uint64_t>(std::ceil(kv260.memory.latency_ns * kv260.clock_mhz / 1000.0));
  EXPECT_GE(unit.memory_cycles, port_clocks + 2 * latency);
  EXPECT_LE(unit.memory_cycles, port_clocks + 2 * latency + latency / 2)
      << port_clocks << " port clocks, a latency of " << latency;
}

// tlm's GEMV job against the rtl top's on kv260 (16x16, its DDR4 timing): W read in
// the gather's bursts (a burst of 4 K steps per row tile, row tile after row tile),
// so the DRAM opens the rows the top's reads open (read as one region, 768x2048 took
// 19 % less at tlm), and the engine's last beat no sooner than the gather's lag
// behind W's last word. Decode holds the two within 5 % (tests/runtime); one large job
// is held within 1 % so that a drift shows here first. (A job of a few hundred cycles,
// 256x64, is 7 % shorter at tlm: docs/platform.md "Timing".)
TEST(Platform, AGemvJobAtTlmTakesTheRtlTopsCycles) {
  const hls::HardwareConfig kv260 = hls::load_preset("kv260");
  const std::vector<std::pair<int, int>> shapes = {{64, 512}, {1000, 300}, {768, 768}, {768, 2048}};
  for (const auto& [n, k] : shapes) {
    std::uint64_t cycles[2] = {0, 0};
    for (const Fidelity fidelity : {Fidelity::kTlm, Fidelity::kRtl}) {
      std::mt19937 rng(static_cast<unsigned>(n + k));  // the same operands at both
      const UnitCounters unit = second_gemv_job(kv260, fidelity, n, k, rng);
      ASSERT_EQ(unit.jobs, 1u);
      cycles[fidelity == Fidelity::kRtl] = unit.busy_cycles;
    }
    EXPECT_NEAR(static_cast<double>(cycles[0]) / static_cast<double>(cycles[1]), 1.0, 0.01)
        << n << "x" << k << ": tlm " << cycles[0] << " cycles, rtl " << cycles[1];
  }
}

TEST(Platform, UnitsContendForMemory) {
  // Memory-bound (M = 1, vector mode, 1 GB/s): two units share the bandwidth, so each
  // takes about twice as long as one unit alone and together they gain nothing.
  hls::HardwareConfig one = small_device(), two = small_device();
  one.gemm.count = 1;
  one.memory.bandwidth_gbps = two.memory.bandwidth_gbps = 1.0;
  std::mt19937 rng(1);
  const int n = 1024, k = 256;
  const auto a = random_int8(static_cast<std::size_t>(k), rng);
  const auto w = random_int8(static_cast<std::size_t>(n * k), rng);
  const GemmRun alone = run_gemm(Fidelity::kTlm, a, w, 1, n / 2, k, one);
  const GemmRun both = run_gemm(Fidelity::kTlm, a, w, 1, n, k, two);
  const auto alone_cycles = static_cast<double>(alone.longest_unit);
  EXPECT_GT(static_cast<double>(both.longest_unit), 1.8 * alone_cycles);
  EXPECT_LT(static_cast<double>(both.longest_unit), 2.2 * alone_cycles);
  const GemmRun serial = run_gemm(Fidelity::kTlm, a, w, 1, n, k, one);
  EXPECT_NEAR(both.seconds, serial.seconds, 0.1 * serial.seconds);
  // Compute-bound (M = 64 at full bandwidth): two units overlap their work.
  const auto a64 = random_int8(static_cast<std::size_t>(64 * k), rng);
  one.memory.bandwidth_gbps = two.memory.bandwidth_gbps = 100.0;
  EXPECT_LT(run_gemm(Fidelity::kTlm, a64, w, 64, 64, k, two).seconds,
            0.75 * run_gemm(Fidelity::kTlm, a64, w, 64, 64, k, one).seconds);
}

TEST(Platform, RunsAreDeterministic) {
  std::mt19937 rng(2);
  const auto a = random_int8(40 * 90, rng), w = random_int8(33 * 90, rng);
  std::string first;
  for (int i = 0; i < 2; ++i) {
    Platform platform(small_device(), {Fidelity::kTlm, true, "", {}});
    PlatformDriver driver(platform);
    std::vector<std::int32_t> c(40 * 33);
    hls::GemmArgs g;
    g.a = a.data();
    g.m = 40;
    g.n = 33;
    g.k = 90;
    g.c_int32 = c.data();
    driver.gemm(g, driver.upload_weights(w.data(), 33, 90));
    const std::string json = to_json(platform.counters());
    if (i == 0) first = json;
    EXPECT_EQ(json, first);
  }
  EXPECT_NE(first.find("\"busy_cycles\""), std::string::npos);
}

TEST(Platform, UnitsShowTheRegisterMap) {
  Platform platform(small_device(), {Fidelity::kTlm, true, "", {}});
  for (std::uint32_t unit = 0; unit < 4; ++unit) {
    EXPECT_EQ(platform.read_register(unit * reg::kUnitWindow + reg::kId), reg::kIdValue);
  }
  EXPECT_EQ(platform.read_register(reg::kConfig) & 0xffff, 0x0808u);
  EXPECT_EQ(platform.read_register(4 * reg::kUnitWindow), 0u) << "past the last unit";
}

}  // namespace
}  // namespace tessera::sim
