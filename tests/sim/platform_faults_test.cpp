// Checksums and fault injection in the platform's GEMM units (docs/reliability.md):
// what the unit reports (STATUS, CHECKSUM_FAILS, ChecksumError), what the faults do
// to results (against the nested-loop int8 reference), and what checksums cost in
// simulated cycles (against the cycle model's formula).
#include <gtest/gtest.h>

#include <random>

#include "support/attention_case.hpp"
#include "support/random_data.hpp"
#include "tessera/hls/hardware_config.hpp"
#include "tessera/models/int8_reference.hpp"
#include "tessera/sim/device_abi.hpp"
#include "tessera/sim/gemm_cycle_model.hpp"
#include "tessera/sim/platform_driver.hpp"

namespace tessera::sim {
namespace {

using testing::random_int8;

// The sizes and memory port of tests/configs/kv260-8x8.json, whose top the build
// verilates.
hls::HardwareConfig device(bool checksums) {
  hls::HardwareConfig c = hls::load_preset("kv260");
  c.gemm = {1, 8, 8, 256, checksums, hls::kWidePortWords};
  c.attention.head_size_max = 32;
  c.attention.context_max = 1024;
  return c;
}

struct Gemm {
  int m, n, k;
  std::vector<std::int8_t> a, w;
  std::vector<std::int32_t> expected;
  Gemm(int m_, int n_, int k_) : m(m_), n(n_), k(k_) {
    std::mt19937 rng(static_cast<unsigned>(m * 7 + n * 3 + k));
    a = random_int8(static_cast<std::size_t>(m * k), rng);
    w = random_int8(static_cast<std::size_t>(n * k), rng);
    expected = models::int8_reference::gemm(a, w, m, n, k);
  }
};

struct Outcome {
  std::vector<std::int32_t> c;
  bool checksum_error = false;
  std::vector<std::uint64_t> failed_commands;
  std::uint32_t status = 0, fails = 0;
  std::optional<FaultRecord> fault;
};

Outcome run(Platform& platform, const Gemm& gemm, const FaultSpec* fault = nullptr) {
  PlatformDriver driver(platform);
  const auto weights = driver.upload_weights(gemm.w.data(), gemm.n, gemm.k);
  if (fault != nullptr) platform.arm_fault(*fault);
  Outcome r;
  r.c.assign(static_cast<std::size_t>(gemm.m * gemm.n), 0);
  hls::GemmArgs g;
  g.a = gemm.a.data();
  g.m = gemm.m;
  g.n = gemm.n;
  g.k = gemm.k;
  g.c_int32 = r.c.data();
  try {
    driver.gemm(g, weights);
  } catch (const ChecksumError& e) {
    r.checksum_error = true;
    r.failed_commands = e.commands();
  }
  r.status = platform.read_register(reg::kStatus);
  r.fails = platform.read_register(reg::kChecksumFails);
  r.fault = platform.take_fault();
  driver.release_scratch();
  platform.release(weights.address);
  return r;
}

TEST(PlatformChecksums, FaultFreeRunsPassAndShowTheFeature) {
  for (Fidelity fidelity : {Fidelity::kFunc, Fidelity::kTlm}) {
    Platform platform(device(true), {fidelity, true, "", {}});
    EXPECT_EQ(platform.read_register(reg::kFeatures), reg::kFeatureChecksums);
    for (const Gemm& gemm : {Gemm(1, 300, 64), Gemm(20, 37, 300), Gemm(64, 64, 100)}) {
      const Outcome r = run(platform, gemm);
      EXPECT_FALSE(r.checksum_error);
      EXPECT_EQ(r.c, gemm.expected);
      EXPECT_EQ(r.status, reg::kStatusDone);
      EXPECT_EQ(r.fails, 0u);
    }
  }
  Platform plain(device(false), {Fidelity::kTlm, true, "", {}});
  EXPECT_EQ(plain.read_register(reg::kFeatures), 0u);
}

TEST(PlatformChecksums, AStruckAccumulatorIsReportedAndItsJobNamed) {
  const Gemm gemm(16, 16, 64);  // one job of 2 x 2 tiles
  FaultSpec spec;
  spec.site = FaultSite::kAccumulator;
  // Seeds until one lands past the tile's first MAC on an array PE: that changes a
  // result (a flip at step 0 is masked; a checksum PE changes none).
  for (std::uint64_t seed = 1;; ++seed) {
    spec.seed = seed;
    Platform platform(device(true), {Fidelity::kTlm, true, "", {}});
    const Outcome r = run(platform, gemm, &spec);
    ASSERT_TRUE(r.fault && r.fault->struck);
    const hls::EngineFault& f = r.fault->engine;
    if (f.step == 0 || f.row == 8 || f.col == 8) continue;
    EXPECT_NE(r.c, gemm.expected);
    EXPECT_TRUE(r.checksum_error);
    EXPECT_EQ(r.failed_commands, std::vector<std::uint64_t>{0});
    EXPECT_EQ(r.status, reg::kStatusDone | reg::kStatusError | reg::kStatusChecksum);
    EXPECT_EQ(r.fails, 1u);
    EXPECT_EQ(platform.read_register(reg::kChecksumTile), static_cast<std::uint32_t>(f.tile));
    EXPECT_EQ(platform.counters().units[0].checksum_failures, 1u);
    // The same fault without checksums: the same state struck, wrong results
    // delivered, nothing reported.
    Platform unchecked(device(false), {Fidelity::kTlm, true, "", {}});
    const Outcome silent = run(unchecked, gemm, &spec);
    EXPECT_EQ(silent.fault->where, r.fault->where);
    EXPECT_FALSE(silent.checksum_error);
    EXPECT_EQ(silent.c, r.c) << "the device delivers what it computed, reported or not";
    EXPECT_EQ(silent.status, reg::kStatusDone);
    break;
  }
}

TEST(PlatformChecksums, AFaultStrikesOnceAndTheNextRunIsCorrect) {
  const Gemm gemm(8, 64, 32);
  Platform platform(device(true), {Fidelity::kFunc, true, "", {}});
  FaultSpec spec;
  spec.site = FaultSite::kResultFifo;
  spec.seed = 3;
  const Outcome faulty = run(platform, gemm, &spec);
  EXPECT_TRUE(faulty.checksum_error);
  EXPECT_NE(faulty.c, gemm.expected);
  const Outcome again = run(platform, gemm);
  EXPECT_FALSE(again.checksum_error);
  EXPECT_EQ(again.c, gemm.expected);
  EXPECT_FALSE(again.fault.has_value()) << "nothing was armed";
}

TEST(PlatformChecksums, SameSpecSameFault) {
  const Gemm gemm(24, 40, 80);
  FaultSpec spec;
  spec.site = FaultSite::kOperandBuffer;
  spec.seed = 99;
  std::vector<Outcome> runs;
  for (int i = 0; i < 2; ++i) {
    Platform platform(device(true), {Fidelity::kTlm, true, "", {}});
    runs.push_back(run(platform, gemm, &spec));
  }
  EXPECT_EQ(runs[0].fault->where, runs[1].fault->where);
  EXPECT_EQ(runs[0].fault->seconds, runs[1].fault->seconds);
  EXPECT_EQ(runs[0].c, runs[1].c);
}

TEST(PlatformChecksums, AnEventPastTheRunNeverStrikes) {
  const Gemm gemm(8, 8, 16);
  Platform platform(device(true), {Fidelity::kTlm, true, "", {}});
  FaultSpec spec;
  spec.event = 5;  // the run has one job
  const Outcome r = run(platform, gemm, &spec);
  ASSERT_TRUE(r.fault.has_value());
  EXPECT_FALSE(r.fault->struck);
  EXPECT_EQ(r.c, gemm.expected);
}

TEST(PlatformChecksums, DeviceMemoryAndHostLinkFaultsAreOutsideTheirReach) {
  const Gemm gemm(16, 32, 64);
  for (FaultSite site : {FaultSite::kDeviceMemory, FaultSite::kHostLink}) {
    int corrupted = 0;
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
      Platform platform(device(true), {Fidelity::kTlm, true, "", {}});
      FaultSpec spec;
      spec.site = site;
      spec.seed = seed;
      const Outcome r = run(platform, gemm, &spec);
      ASSERT_TRUE(r.fault && r.fault->struck) << to_string(site);
      EXPECT_FALSE(r.checksum_error) << "the engine computes on what it was given";
      if (r.c != gemm.expected) ++corrupted;
    }
    EXPECT_GT(corrupted, 0) << to_string(site);
  }
}

// An attention fault flips one bit of one accumulator lane of the struck job (query
// head), at every fidelity the same: compared with the nested-loop reference, exactly
// one int32 differs, in exactly that bit; the norms are untouched. Out of the GEMM
// checksums' reach: nothing reports it.
TEST(PlatformChecksums, AnAttentionFaultFlipsOneAccumulatorBit) {
  std::mt19937 rng(9);
  const testing::AttentionShape shape{4, 2, 16, 6, 2};
  const auto input = testing::random_attention_input(shape, rng);
  const models::int8_reference::AttentionOutput expected = models::int8_reference::attention(input);
  const int jobs = shape.n_heads * shape.n_queries;
  for (Fidelity fidelity : {Fidelity::kFunc, Fidelity::kTlm, Fidelity::kRtl}) {
    for (std::uint64_t event = 0; event < static_cast<std::uint64_t>(jobs); event += 3) {
      Platform platform(device(false), {fidelity, true, "", {}});
      PlatformDriver driver(platform);
      auto cache = driver.allocate_kv_cache(shape.n_kv_heads, shape.head_size,
                                            shape.first_position + shape.n_queries);
      FaultSpec spec;
      spec.site = FaultSite::kAttention;
      spec.event = event;
      spec.seed = event + 1;
      platform.arm_fault(spec);
      models::int8_reference::AttentionOutput out;
      driver.attention(testing::attention_args(input, out), cache);
      const std::optional<FaultRecord> fault = platform.take_fault();
      ASSERT_TRUE(fault && fault->struck) << to_string(fidelity) << " event " << event;
      EXPECT_EQ(fault->events, static_cast<std::uint64_t>(jobs));
      EXPECT_NE(fault->where.find("attention0 job " + std::to_string(event) + " lane "),
                std::string::npos)
          << fault->where;
      int differing = 0;
      for (std::size_t i = 0; i < expected.acc.size(); ++i) {
        const auto diff = static_cast<std::uint32_t>(out.acc[i] ^ expected.acc[i]);
        if (diff == 0) continue;
        ++differing;
        EXPECT_EQ(diff, 1u << fault->bit) << fault->where;
        EXPECT_EQ(i / static_cast<std::size_t>(shape.head_size), event) << "the struck job's lanes";
      }
      EXPECT_EQ(differing, 1) << to_string(fidelity) << " " << fault->where;
      for (std::size_t i = 0; i < expected.norms.size(); ++i) {
        EXPECT_EQ(out.norms[i].max_weight, expected.norms[i].max_weight);
        EXPECT_EQ(out.norms[i].exp_sum, expected.norms[i].exp_sum);
      }
    }
  }
}

TEST(PlatformChecksums, CheckingCostsTheCycleModelsExtraCycles) {
  // One job each: the difference in busy cycles is the compute formula's difference.
  const Gemm matrix(16, 16, 64), vector(1, 512, 64);
  const hls::ArrayShape array{8, 8};
  auto busy = [](bool checksums, const Gemm& gemm) {
    Platform platform(device(checksums), {Fidelity::kTlm, true, "", {}});
    PlatformDriver driver(platform);
    const auto weights = driver.upload_weights(gemm.w.data(), gemm.n, gemm.k);
    platform.reset_counters();
    std::vector<std::int32_t> c(static_cast<std::size_t>(gemm.m * gemm.n));
    hls::GemmArgs g;
    g.a = gemm.a.data();
    g.m = gemm.m;
    g.n = gemm.n;
    g.k = gemm.k;
    g.c_int32 = c.data();
    driver.gemm(g, weights);
    return platform.counters().units[0].compute_cycles;
  };
  const auto formula = [&](bool checksums, const Gemm& gemm) {
    return gemm.m == 1
               ? gemv_timing(array, gemm.n, gemm.k, true, 1.0, checksums).total_cycles
               : gemm_timing(array, 256, gemm.m, gemm.n, gemm.k, true, 1.0, checksums).total_cycles;
  };
  for (const Gemm* gemm : {&matrix, &vector}) {
    EXPECT_EQ(busy(true, *gemm) - busy(false, *gemm), formula(true, *gemm) - formula(false, *gemm))
        << busy(true, *gemm) << " " << busy(false, *gemm) << " " << formula(true, *gemm) << " "
        << formula(false, *gemm);
  }
  // The formulas themselves: 2 x 2 tiles of period max(64, 8 + 2) plus 8 + 8 + 5, and
  // 8 vector tiles of K plus 8 + 3 and 2 for the compare (the 6-level adder tree
  // delivers the last checksum while the last tile's 8 result beats drain).
  EXPECT_EQ(gemm_timing(array, 256, 16, 16, 64, true, 1.0, true).compute_cycles,
            4u * 64u + 8u + 8u + 5u);
  EXPECT_EQ(gemv_timing(array, 512, 64, true, 1.0, true).compute_cycles, 8u * 64u + 8u + 3u + 2u);
  // A 16x16 array's 8-level tree against 16 beats, and a 2x64 array's 7 against 2.
  EXPECT_EQ(gemv_timing({16, 16}, 256, 64, true, 1.0, true).compute_cycles, 64u + 16u + 3u + 2u);
  EXPECT_EQ(gemv_timing({2, 64}, 128, 64, true, 1.0, true).compute_cycles,
            64u + 2u + 3u + (7u - 2u + 1u));
}

// The Verilated engine with checksums and fault hooks against the C model, through
// the whole platform, in a matrix job and a vector (GEMV) job: every fault of the same
// spec strikes the same state and ends the same way (results, checksum report,
// registers).
TEST(PlatformChecksums, RtlEndsEveryFaultAsTheCModelDoes) {
  hls::HardwareConfig config = device(true);
  // The build's 8x8 top with checksums (tests/configs/kv260-8x8-checksums.json), a
  // word a beat.
  config.gemm.buffer_words = 8192;
  config.gemm.memory_port_words = 1;
  config.attention.head_size_max = 16;
  config.attention.context_max = 1024;
  const Gemm matrix(24, 20, 70), vector(1, 150, 70);
  int detected = 0;
  for (const Gemm* job : {&matrix, &vector}) {
    const Gemm& gemm = *job;
    for (FaultSite site :
         {FaultSite::kAccumulator, FaultSite::kOperandBuffer, FaultSite::kResultFifo}) {
      for (std::uint64_t seed = 1; seed <= 12; ++seed) {
        FaultSpec spec;
        spec.site = site;
        spec.kind = static_cast<hls::BitFault>(seed % 3);
        spec.seed = seed;
        Platform tlm(config, {Fidelity::kTlm, true, "", {}});
        Platform rtl(config, {Fidelity::kRtl, true, "", {}});
        const Outcome want = run(tlm, gemm, &spec), got = run(rtl, gemm, &spec);
        const std::string what = to_string(site) + " seed " + std::to_string(seed);
        EXPECT_EQ(got.c, want.c) << what;
        EXPECT_EQ(got.checksum_error, want.checksum_error) << what;
        EXPECT_EQ(got.status, want.status) << what;
        EXPECT_EQ(got.fails, want.fails) << what;
        ASSERT_TRUE(got.fault && want.fault) << what;
        EXPECT_EQ(got.fault->where, want.fault->where) << what;
        detected += got.checksum_error ? 1 : 0;
      }
    }
  }
  EXPECT_GT(detected, 20);
}

TEST(PlatformChecksums, RefusedWhereTheyCannotRun) {
  // No Verilated 8x8 engine with 256-word buffers and checksums in the build.
  EXPECT_THROW(Platform(device(true), {Fidelity::kRtl, true, "", {}}), std::invalid_argument);
  Platform timing_only(device(true), {Fidelity::kTlm, false, "", {}});
  EXPECT_THROW(timing_only.arm_fault(FaultSpec{}), std::invalid_argument);
  // The host glue is the runtime's, not the device's.
  Platform platform(device(true), {Fidelity::kTlm, true, "", {}});
  FaultSpec host;
  host.site = FaultSite::kHostGlue;
  EXPECT_THROW(platform.arm_fault(host), std::invalid_argument);
  EXPECT_FALSE(platform.armed_fault());
}

}  // namespace
}  // namespace tessera::sim
